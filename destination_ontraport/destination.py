"""`DestinationOntraport`: spec, check and write, as the Airbyte protocol runs them."""

from __future__ import annotations

import argparse
import gc
import io
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
from airbyte_cdk.destinations import Destination
from airbyte_cdk.exception_handler import init_uncaught_exception_handler
from airbyte_cdk.logger import init_logger
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    ConnectorSpecification,
    ConnectorSpecificationSerializer,
    FailureType,
    Status,
    Type,
)
from airbyte_cdk.utils.airbyte_secrets_utils import get_secrets, update_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import ValidationError

from destination_ontraport.client import OntraportError, TransientError
from destination_ontraport.config import OntraportConfig
from destination_ontraport.errors import as_traced, user_message
from destination_ontraport.mapping import MappingConfigError
from destination_ontraport.messages import InputItem, from_messages, parse_lines
from destination_ontraport.spec import DOCUMENTATION_URL, specification
from destination_ontraport.sync import Account, SyncRun


class DestinationOntraport(Destination):
    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        """Built from the pydantic model, not read from a packaged spec.json (see config.py and spec.py)."""
        return ConnectorSpecificationSerializer.load(specification())

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """One cheap read and the field metadata; creates nothing. Never raises: a FAILED status
        with a plain message is what a person setting up the connector can act on."""
        try:
            parsed = OntraportConfig.model_validate(config)
            account = Account.open(parsed, quick=True)
            try:
                account.client.get_contact_count()
            finally:
                account.client.close()
        except (ValidationError, MappingConfigError, OntraportError) as exc:
            return AirbyteConnectionStatus(status=Status.FAILED, message=_check_message(exc, config))
        except Exception as exc:
            message = f"Unexpected error while checking the connection: {type(exc).__name__}"
            return AirbyteConnectionStatus(status=Status.FAILED, message=message)
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage],
    ) -> Iterable[AirbyteMessage]:
        return self._write_items(config, configured_catalog, from_messages(input_messages))

    def _write_items(
        self, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, items: Iterable[InputItem]
    ) -> Iterator[AirbyteMessage]:
        try:
            parsed = OntraportConfig.model_validate(config)
            account = Account.open(parsed)
        except Exception as exc:
            raise as_traced(exc) from exc
        unknown = sorted(set(config) - set(OntraportConfig.model_fields))
        if unknown:
            logging.getLogger("airbyte").warning(
                f"Unknown config option(s) {', '.join(unknown)} are ignored; check their spelling against the spec."
            )
        try:
            yield from SyncRun(parsed, catalog, account).run(items)
        except Exception as exc:
            raise as_traced(exc) from exc
        finally:
            account.client.close()

    def _run_write(
        self, config: Mapping[str, Any], configured_catalog_path: str, input_stream: io.TextIOWrapper
    ) -> Iterable[AirbyteMessage]:
        """Reads stdin itself so that every bad line is counted and reported, never dropped."""
        yield from self._write_lines(config, configured_catalog_path, input_stream)

    def _write_lines(
        self, config: Mapping[str, Any], configured_catalog_path: str, lines: Iterable[str | bytes]
    ) -> Iterator[AirbyteMessage]:
        with open(configured_catalog_path, "rb") as handle:
            catalog = ConfiguredAirbyteCatalogSerializer.load(orjson.loads(handle.read()))
        yield from self._write_items(config, catalog, parse_lines(lines))

    def run_cmd(self, parsed_args: argparse.Namespace) -> Iterable[AirbyteMessage]:
        """As the CDK's, minus its jsonschema pre-check: that check's messages quote config values,
        and a CONNECTION_STATUS is not masked. The pydantic model validates with inputs hidden."""
        command = parsed_args.command
        spec = self.spec(logging.getLogger("airbyte"))
        if command == "spec":
            yield AirbyteMessage(type=Type.SPEC, spec=spec)
            return
        try:
            config = self.read_config(config_path=parsed_args.config)
        except (OSError, ValueError) as exc:
            message = f"Could not read the config file: {exc}"
            raise AirbyteTracedException(message, message, FailureType.config_error) from None
        if not isinstance(config, dict):
            message = f"The config file {parsed_args.config} must hold a JSON object."
            raise AirbyteTracedException(message, message, FailureType.config_error)
        update_secrets(get_secrets(spec.connectionSpecification, config))
        if isinstance(config.get("api_key"), str):
            update_secrets([config["api_key"]])
        if command == "check":
            yield AirbyteMessage(
                type=Type.CONNECTION_STATUS, connectionStatus=self.check(logging.getLogger("airbyte"), config)
            )
        elif command == "write":
            # Raw bytes: orjson parses them without a decode step, and invalid UTF-8 becomes a
            # rejected line with a reason instead of silently replaced characters.
            yield from self._write_lines(config, parsed_args.catalog, sys.stdin.buffer)
        else:
            raise ValueError(f"Unknown command {command!r}; use spec, check or write.")

    def run(self, args: list[str]) -> None:
        """As the CDK's, but each message is flushed at once: an orchestrator (or a crash) must see a
        STATE when it is emitted, not when a pipe buffer happens to fill."""
        # Hundreds of thousands of short-lived dicts per sync and almost no reference cycles: move the
        # import-time objects out of the collector's way and collect young objects less often.
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        logger = init_logger("airbyte")
        init_uncaught_exception_handler(logger)
        try:
            for message in self.run_cmd(self.parse_args(args)):
                sys.stdout.write(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode() + "\n")
                sys.stdout.flush()
        except AirbyteTracedException as exc:
            if exc.failure_type != FailureType.config_error:
                raise
            # A setting to fix, not a bug: the message alone, without a stack trace in the log.
            logger.error(str(exc))
            exc.emit_message()
            sys.exit(1)


def _check_message(exc: BaseException, config: Mapping[str, Any]) -> str:
    if isinstance(exc, TransientError) or (isinstance(exc, OntraportError) and exc.status is None):
        url = config.get("api_url") or "https://api.ontraport.com/1"
        return (
            f"Could not reach Ontraport at {url}: {str(exc).rstrip('.')}. "
            "Check the API URL and the network, then try again."
        )
    return user_message(exc)


__all__ = ["DOCUMENTATION_URL", "DestinationOntraport"]
