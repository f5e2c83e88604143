"""`DestinationOntraport`: spec, check, discover and write, as the Airbyte protocol runs them."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
from airbyte_cdk.destinations import Destination
from airbyte_cdk.exception_handler import init_uncaught_exception_handler
from airbyte_cdk.logger import init_logger
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    ConnectorSpecificationSerializer,
    FailureType,
    Status,
    TraceType,
    Type,
)
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets, get_secrets, update_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import ValidationError

from destination_ontraport.account.automation_book import AutomationBook, require_configured
from destination_ontraport.account.connection import Account
from destination_ontraport.account.discover import NothingToDiscoverError, read_catalog
from destination_ontraport.account.read_probe import probe_read_path
from destination_ontraport.config import OntraportConfig, unknown_option_warning
from destination_ontraport.doctor.run import run_doctor
from destination_ontraport.failures import as_traced, failure_type, user_message
from destination_ontraport.model.problems import ConfigProblem, MappingConfigError
from destination_ontraport.ontraport.errors import OntraportError, TransientError
from destination_ontraport.protocol.catalog import CatalogError, load_configured_catalog
from destination_ontraport.protocol.messages import InputItem, from_messages, parse_lines
from destination_ontraport.rejected.s3_store import CHECK_ATTEMPTS, ObjectStorageError, S3Store
from destination_ontraport.rejected.settings import S3ObjectStorage
from destination_ontraport.spec import DOCUMENTATION_URL, specification
from destination_ontraport.sync.job import SyncJob


class DestinationOntraport(Destination):
    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        """Built from the pydantic model, not read from a packaged spec.json (see config.py and spec.py)."""
        return ConnectorSpecificationSerializer.load(specification())

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """The field metadata, one count and the read-path probe (logged); creates nothing. Never
        raises: a FAILED status with a plain message is what a person setting up the connector can act on."""
        try:
            parsed = OntraportConfig.model_validate(config)
            _warn_unknown_options(config)
            account = Account.open(parsed, quick=True)
            try:
                account.client.count(account.contacts)
                probe = probe_read_path(account.client, account.match_field)
                logger.info(probe.describe(account.match_field.name))
                book = AutomationBook(account.client)
                require_configured(book, parsed.campaign_names, parsed.sequence_names)
            finally:
                account.client.close()
        except (ValidationError, MappingConfigError, ConfigProblem, OntraportError) as exc:
            return AirbyteConnectionStatus(status=Status.FAILED, message=_check_message(exc, config))
        except Exception as exc:
            message = f"Unexpected error while checking the connection: {type(exc).__name__}"
            return AirbyteConnectionStatus(status=Status.FAILED, message=message)
        return _check_bucket(parsed.object_storage_config)

    def write(
        self,
        config: Mapping[str, Any],
        configured_catalog: ConfiguredAirbyteCatalog,
        input_messages: Iterable[AirbyteMessage],
    ) -> Iterable[AirbyteMessage]:
        """The CDK's contract, for callers that hold parsed messages. Its models carry neither the
        platform's state `id` nor `rejectedRecordCount`; `main.py write` (`run`) echoes both."""
        for state in self._write_items(config, configured_catalog, from_messages(input_messages)):
            yield AirbyteMessageSerializer.load(state)

    def _write_items(
        self, config: Mapping[str, Any], catalog: ConfiguredAirbyteCatalog, items: Iterable[InputItem]
    ) -> Iterator[dict[str, Any]]:
        """The STATE messages to emit, as JSON objects (see protocol/state.py)."""
        try:
            parsed = OntraportConfig.model_validate(config)
            _warn_unknown_options(config)
            account = Account.open(parsed)
        except Exception as exc:
            raise as_traced(exc) from exc
        run: SyncJob | None = None
        try:
            run = SyncJob(parsed, catalog, account)
            yield from run.run(items)
        except Exception as exc:
            raise as_traced(exc, run.keyless_streams if run is not None else ()) from exc
        finally:
            account.client.close()

    def _write_lines(
        self, config: Mapping[str, Any], configured_catalog_path: str, lines: Iterable[str | bytes]
    ) -> Iterator[dict[str, Any]]:
        """Reads the input lines itself so that every bad line is counted and reported, never dropped."""
        try:
            catalog = load_configured_catalog(configured_catalog_path)
        except CatalogError as exc:
            raise as_traced(exc) from None
        yield from self._write_items(config, catalog, parse_lines(lines))

    def run_cmd(self, parsed_args: argparse.Namespace) -> Iterable[AirbyteMessage]:
        """As the CDK's, minus its jsonschema pre-check: that check's messages quote config values,
        and a CONNECTION_STATUS is not masked. The pydantic model validates with inputs hidden."""
        command = parsed_args.command
        if command == "spec":
            yield AirbyteMessage(type=Type.SPEC, spec=self.spec(logging.getLogger("airbyte")))
            return
        config = self._config_of(parsed_args)
        if command == "check":
            yield AirbyteMessage(
                type=Type.CONNECTION_STATUS, connectionStatus=self.check(logging.getLogger("airbyte"), config)
            )
        elif command == "write":
            for state in self._write_lines(config, parsed_args.catalog, sys.stdin.buffer):
                yield AirbyteMessageSerializer.load(state)  # the models' view: `run` prints the JSON
        else:
            raise ValueError(
                f"Unknown command {command!r}; use spec, check or write (discover runs through run())."
            )

    def _write_stdin(self, parsed_args: argparse.Namespace) -> Iterator[dict[str, Any]]:
        """`write`: raw bytes from stdin (orjson parses them without a decode step, and invalid UTF-8
        becomes a rejected line with a reason instead of silently replaced characters)."""
        config = self._config_of(parsed_args)
        yield from self._write_lines(config, parsed_args.catalog, sys.stdin.buffer)

    def _config_of(self, parsed_args: argparse.Namespace) -> dict[str, Any]:
        """The config file, with `--trace-http FILE` (a local run's flag) as its `debug_http_trace`."""
        config = self._load_config(parsed_args.config)
        trace = getattr(parsed_args, "trace_http", None)
        if trace:
            config["debug_http_trace"] = trace
        return config

    def _load_config(self, path: str) -> dict[str, Any]:
        """The config file as a JSON object, its secrets registered for masking before anything runs."""
        try:
            config = self.read_config(config_path=path)
        except (OSError, ValueError) as exc:
            message = f"Could not read the config file: {exc}"
            raise AirbyteTracedException(message, message, FailureType.config_error) from None
        if not isinstance(config, dict):
            message = f"The config file {path} must hold a JSON object."
            raise AirbyteTracedException(message, message, FailureType.config_error)
        # Every airbyte_secret of the spec (the API key, the storage keys), also as the trimmed value
        # the config model keeps: the log's masking replaces them wherever they appear.
        spec = self.spec(logging.getLogger("airbyte")).connectionSpecification
        secrets = [value for value in get_secrets(spec, config) if isinstance(value, str)]
        update_secrets(
            sorted({*secrets, *(value.strip() for value in secrets)} - {""}, key=len, reverse=True)
        )
        return config

    def discover(self, config: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """`discover --config`: one DESTINATION_CATALOG message (after LOG lines saying what is not
        offered and why), as JSON data: airbyte-cdk 7.39.1's AirbyteMessage cannot carry it.

        On failure, as the Kotlin CDK's DiscoverOperation does: a TRACE error and a CONNECTION_STATUS
        FAILED with the message `check` gives for the same config, and a normal exit, as `check` has."""
        logger = logging.getLogger("airbyte")
        try:
            parsed = OntraportConfig.model_validate(config)
            _warn_unknown_options(config)
            found = read_catalog(parsed)
        except Exception as exc:
            if isinstance(
                exc,
                ValidationError
                | MappingConfigError
                | ConfigProblem
                | OntraportError
                | NothingToDiscoverError,
            ):
                message = _check_message(exc, config)
            else:
                message = f"Unexpected error while discovering the account's objects: {type(exc).__name__}"
            yield from _failure_messages(filter_secrets(message), failure_type(exc))
            return
        for note in found.notes:
            logger.info(note)
        yield found.message()

    def parse_args(self, args: list[str]) -> argparse.Namespace:
        """The CDK's commands (spec, check, write) plus `discover --config` and `doctor` (a person's
        command, not the protocol's); `--trace-http FILE` on each that talks to Ontraport."""
        parser = argparse.ArgumentParser(prog="destination-ontraport")
        commands = parser.add_subparsers(title="commands", dest="command", required=True)
        commands.add_parser("spec", help="outputs the json configuration specification")
        with_config = {
            "check": "checks the config can be used to connect",
            "discover": "lists the Ontraport objects and modes a data-activation connection can write",
            "write": "Writes data to the destination",
            "doctor": "reports what this Ontraport account is and how it behaves (plain text, for a person)",
        }
        for command, text in with_config.items():
            sub = commands.add_parser(command, help=text).add_argument_group("required named arguments")
            sub.add_argument("--config", type=str, required=True, help="path to the JSON configuration file")
            if command == "write":
                sub.add_argument(
                    "--catalog", type=str, required=True, help="path to the configured catalog JSON file"
                )
            if command == "doctor":
                sub.add_argument(
                    "--write-test",
                    action="store_true",
                    help="also create, change and delete one test contact (@example.invalid)",
                )
            sub.add_argument(
                "--trace-http",
                metavar="FILE",
                help="append every request and answer to FILE as JSON lines, secrets masked",
            )
        return parser.parse_args(args)

    def run(self, args: list[str]) -> None:
        """As the CDK's, but each message is flushed at once: an orchestrator (or a crash) must see a
        STATE when it is emitted, not when a pipe buffer happens to fill."""
        if args[:1] == ["doctor"]:
            sys.exit(self._doctor(self.parse_args(args)))
        logger = init_logger("airbyte")
        init_uncaught_exception_handler(logger)
        try:
            parsed_args = self.parse_args(args)
            lines: Iterable[Mapping[str, Any]]
            if parsed_args.command == "discover":
                lines = self.discover(self._config_of(parsed_args))
            elif parsed_args.command == "write":
                lines = self._write_stdin(parsed_args)  # STATEs as they arrived: not through the models
            else:
                lines = (AirbyteMessageSerializer.dump(message) for message in self.run_cmd(parsed_args))
            for line in lines:
                sys.stdout.write(_json_line(line) + "\n")
                sys.stdout.flush()
        except AirbyteTracedException as exc:
            if exc.failure_type != FailureType.config_error:
                raise
            # A setting to fix, not a bug: the message alone, without a stack trace in the log.
            logger.error(str(exc))
            exc.emit_message()
            sys.exit(1)

    def _doctor(self, parsed_args: argparse.Namespace) -> int:
        """`doctor`: the report on stdout as plain text, the log on stderr as plain lines (secrets
        masked in both), exit code 0; a config or account that check would refuse: check's message
        on stderr, exit code 1."""
        _plain_log_to_stderr()
        config: dict[str, Any] = {}
        try:
            config = self._config_of(parsed_args)
            parsed = OntraportConfig.model_validate(config)
            _warn_unknown_options(config)
            report = run_doctor(parsed, write_test=parsed_args.write_test)
        except AirbyteTracedException as exc:  # the config file itself
            sys.stderr.write(filter_secrets(exc.message or "") + "\n")
            return 1
        except (ValidationError, MappingConfigError, ConfigProblem, OntraportError) as exc:
            sys.stderr.write(filter_secrets(_check_message(exc, config)) + "\n")
            return 1
        sys.stdout.write(filter_secrets(report.text()))
        sys.stdout.flush()
        return 0


def _plain_log_to_stderr() -> None:
    """A person's command: log lines as plain text on stderr, every registered secret masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_MaskingFormatter("%(levelname)s %(message)s"))
    airbyte_logger = logging.getLogger("airbyte")
    airbyte_logger.handlers[:] = [handler]
    airbyte_logger.setLevel(logging.INFO)
    airbyte_logger.propagate = False


class _MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return filter_secrets(super().format(record))


def _warn_unknown_options(config: Mapping[str, Any]) -> None:
    """Unknown keys that are no near miss of an option (the config model refuses those)."""
    warning = unknown_option_warning(config)
    if warning:
        logging.getLogger("airbyte").warning(warning)


def _json_line(message: Mapping[str, Any]) -> str:
    """One output line. orjson refuses integers beyond 64 bits, which a STATE echoed as it arrived may
    hold (the input parser keeps them exact): those lines go through the standard library."""
    try:
        return orjson.dumps(message).decode()
    except TypeError:
        return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def _check_bucket(settings: object) -> AirbyteConnectionStatus:
    """With a rejected-records bucket: write, list and delete a test object (as Airbyte's activation
    destinations do), so that a wrong bucket fails here and not hours into a sync."""
    if not isinstance(settings, S3ObjectStorage):
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)
    store = S3Store(settings, attempts=CHECK_ATTEMPTS)
    try:
        store.check(settings.bucket_path)
    except ObjectStorageError as exc:
        return AirbyteConnectionStatus(status=Status.FAILED, message=str(exc))
    except Exception as exc:
        message = f"Unexpected error while checking the rejected-records bucket: {type(exc).__name__}"
        return AirbyteConnectionStatus(status=Status.FAILED, message=message)
    finally:
        store.close()
    return AirbyteConnectionStatus(status=Status.SUCCEEDED)


def _failure_messages(message: str, failure_type: FailureType) -> Iterator[dict[str, Any]]:
    """A TRACE error and a CONNECTION_STATUS FAILED with the same plain message. No stack trace: the
    message says what to do, and a trace of a config error could quote the config."""
    error = AirbyteErrorTraceMessage(message=message, internal_message=message, failure_type=failure_type)
    trace = AirbyteTraceMessage(type=TraceType.ERROR, emitted_at=time.time_ns() // 1_000_000, error=error)
    yield AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.TRACE, trace=trace))
    status = AirbyteConnectionStatus(status=Status.FAILED, message=message)
    yield AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=status))


def _check_message(exc: BaseException, config: Mapping[str, Any]) -> str:
    if isinstance(exc, TransientError) or (isinstance(exc, OntraportError) and exc.status is None):
        url = config.get("api_url") or "https://api.ontraport.com/1"
        return (
            f"Could not reach Ontraport at {url}: {str(exc).rstrip('.')}. "
            "Check the API URL and the network, then try again."
        )
    return user_message(exc)


__all__ = ["DOCUMENTATION_URL", "DestinationOntraport"]
