"""`object_storage_config`: the bucket that receives rejected records, as the Airbyte platform expects it.

The platform looks this property up by its exact key for data-activation destinations and links a
job's rejected records to `s3://<bucket>/<bucket_path>/<job id>/`, so the block is declared the way
Airbyte's own activation destinations (HubSpot, Salesforce) declare it: a `oneOf` of `None` and `S3`
with the same property names, enums and hidden defaults. The models are lenient where the spec is
strict (a hand-written config may leave out the hidden properties) and refuse, with a message that
names the setting, what this connector cannot honour (root-level flattening). `role_arn` is assumed
through STS (s3_role.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from destination_ontraport.rejected.paths import (
    DEFAULT_FILE_NAME_FORMAT,
    DEFAULT_PATH_FORMAT,
    check_file_name_format,
    check_path_format,
)

# The region codes HubSpot's and Salesforce's specs offer, in their order; "" means "not set".
S3Region = Literal[
    "",
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
]
Flattening = Literal["No flattening", "Root level flattening"]


def airbyte_shape(required: list[str]) -> Any:
    """A `json_schema_extra` that turns pydantic's rendering of a model into Airbyte's: `const`
    becomes a one-value `enum` without a title, `X | None` a plain `X`, secrets lose pydantic's
    `format: password`, and `required` lists what the activation destinations list (the models
    themselves give the hidden properties defaults, so hand-written configs may omit them)."""

    def shape(schema: dict[str, Any]) -> None:
        schema["type"] = "object"
        schema["additionalProperties"] = True
        for prop in schema.get("properties", {}).values():
            any_of = prop.pop("anyOf", None)
            if any_of:
                prop.update(next(p for p in any_of if p != {"type": "null"}))
            if "const" in prop:
                prop["enum"] = [prop.pop("const")]
                prop.pop("title", None)
            if prop.get("format") == "password":
                del prop["format"]
                prop.pop("writeOnly", None)
            if prop.get("default", "") is None:
                del prop["default"]
        schema["required"] = required
        schema.pop("description", None)  # the docstring: for readers of the code, not the form

    return shape


def union_shape(**extra: Any) -> Any:
    """A `json_schema_extra` for a tagged union: pydantic adds a `discriminator` block, Airbyte's forms
    read only the `oneOf`."""

    def shape(schema: dict[str, Any]) -> None:
        schema.pop("discriminator", None)
        schema.update(extra)
        schema["type"] = "object"

    return shape


class SettingsBlock(BaseModel):
    """Settings blocks: values never quoted in errors; unknown keys (another version's) ignored."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="ignore")


class CsvFormat(SettingsBlock):
    model_config = ConfigDict(
        title="CSV: Comma-Separated Values", json_schema_extra=airbyte_shape(["format_type", "flattening"])
    )

    format_type: Literal["CSV"] = "CSV"
    flattening: Flattening = Field(default="No flattening", title="Flattening")

    @property
    def extension(self) -> str:
        return "csv"


class JsonlFormat(SettingsBlock):
    model_config = ConfigDict(
        title="JSON Lines: Newline-delimited JSON", json_schema_extra=airbyte_shape(["format_type"])
    )

    format_type: Literal["JSONL"] = "JSONL"
    flattening: Flattening = Field(default="No flattening", title="Flattening")
    stringify: Literal["Default", "Stringify"] = Field(
        default="Default",
        title="Stringify JSON",
        description=(
            "Whether root-level objects in the JSONL output (here: the rejected record) should be converted "
            "to JSON strings. Default preserves objects as objects."
        ),
    )

    @property
    def extension(self) -> str:
        return "jsonl"


class NoCompression(SettingsBlock):
    model_config = ConfigDict(title="No Compression", json_schema_extra=airbyte_shape(["compression_type"]))

    compression_type: Literal["No Compression"] = "No Compression"


class GzipCompression(SettingsBlock):
    model_config = ConfigDict(title="GZIP", json_schema_extra=airbyte_shape(["compression_type"]))

    compression_type: Literal["GZIP"] = "GZIP"


OutputFormat = Annotated[CsvFormat | JsonlFormat, Field(discriminator="format_type")]
Compression = Annotated[NoCompression | GzipCompression, Field(discriminator="compression_type")]


class NoObjectStorage(SettingsBlock):
    """Rejected records are counted and logged (and written to `rejected_records_path`, if set) only."""

    model_config = ConfigDict(title="None", json_schema_extra=airbyte_shape(["storage_type"]))

    storage_type: Literal["None"] = "None"


class S3ObjectStorage(SettingsBlock):
    """An S3 (or S3-compatible) bucket that receives each rejected record with its reason."""

    model_config = ConfigDict(
        title="S3",
        json_schema_extra=airbyte_shape(
            ["storage_type", "s3_bucket_name", "s3_bucket_region", "bucket_path", "format"]
        ),
    )

    storage_type: Literal["S3"] = "S3"
    access_key_id: SecretStr | None = Field(
        default=None,
        title="Access Key ID",
        description=(
            "The access key ID to access the S3 bucket. Airbyte requires Read and Write permissions to the "
            'given bucket. Read more <a href="https://docs.aws.amazon.com/general/latest/gr/'
            'aws-sec-cred-types.html#access-keys-and-secret-access-keys">here</a>.'
        ),
        examples=["A012345678910EXAMPLE"],
        json_schema_extra={"airbyte_secret": True, "always_show": True, "order": 1},
    )
    secret_access_key: SecretStr | None = Field(
        default=None,
        title="Secret Access Key",
        description=(
            'The corresponding secret to the access key ID. Read more <a href="https://docs.aws.amazon.com/'
            'general/latest/gr/aws-sec-cred-types.html#access-keys-and-secret-access-keys">here</a>'
        ),
        examples=["a012345678910ABCDEFGH/AbCdEfGhEXAMPLEKEY"],
        json_schema_extra={"airbyte_secret": True, "always_show": True, "order": 2},
    )
    role_arn: str | None = Field(
        default=None,
        title="Role ARN",
        description=(
            "The ARN of an AWS role to assume for writing to the bucket (through STS, at the S3 endpoint "
            "when one is set). The access key above, or the environment's credentials when it is empty, "
            "must be allowed to assume it; Airbyte Cloud provides them and the external id."
        ),
        examples=["arn:aws:iam::123456789:role/ExternalIdIsYourWorkspaceId"],
        json_schema_extra={"order": 3},
    )
    s3_bucket_name: str = Field(
        title="S3 Bucket Name",
        description=(
            'The name of the S3 bucket. Read more <a href="https://docs.aws.amazon.com/AmazonS3/latest/'
            'userguide/create-bucket-overview.html">here</a>.'
        ),
        examples=["airbyte_sync"],
        json_schema_extra={"order": 4},
    )
    s3_bucket_region: S3Region = Field(
        default="",
        title="S3 Bucket Region",
        description=(
            'The region of the S3 bucket. See <a href="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/'
            'using-regions-availability-zones.html#concepts-available-regions">here</a> for all region codes.'
        ),
        examples=["us-east-1"],
        json_schema_extra={"order": 5},
    )
    s3_endpoint: str | None = Field(
        default=None,
        title="S3 Endpoint",
        description=(
            'Your S3 endpoint url. Read more <a href="https://docs.aws.amazon.com/general/latest/gr/s3.html'
            '#:~:text=Service%20endpoints-,Amazon%20S3%20endpoints,-When%20you%20use">here</a>'
        ),
        examples=["http://localhost:9000"],
        json_schema_extra={"order": 6},
    )
    bucket_path: str = Field(
        default="",
        title="Prefix Path in the Bucket",
        description="All files in the bucket will be prefixed by this.",
        examples=["prefix/"],
        json_schema_extra={"order": 7},
    )
    format: OutputFormat = Field(
        default_factory=JsonlFormat,
        title="Output Format",
        description="Format of the data output.",
        examples=["CSV", "JSONL"],
        json_schema_extra=union_shape(airbyte_hidden=True, order=8, default={"format_type": "JSONL"}),
    )
    compression: Compression = Field(
        default_factory=NoCompression,
        title="Compression",
        description=(
            "Whether the output files should be compressed. If compression is selected, the output filename "
            'will have an extra extension (GZIP: ".jsonl.gz").'
        ),
        json_schema_extra=union_shape(airbyte_hidden=True),
    )
    path_format: str = Field(
        default=DEFAULT_PATH_FORMAT,
        title="Path Format",
        description=(
            "Folder of each stream's rejected records under the prefix. Variables: {sync_id}, {namespace}, "
            "{stream_name}, {year}, {month}, {day}, {hour}, {minute}, {second}, {millisecond}, {epoch}, "
            "{uuid}."
        ),
        examples=["{namespace}/{stream_name}/{year}_{month}_{day}_{epoch}"],
        json_schema_extra={"airbyte_hidden": True, "order": 10},
    )
    file_name_format: str = Field(
        default=DEFAULT_FILE_NAME_FORMAT,
        title="File Name Format",
        description=(
            "Name of each object. Variables: {date}, {timestamp}, {part_number} (required), {sync_id}, "
            "{format_extension}."
        ),
        examples=["{date}", "{timestamp}", "{part_number}", "{sync_id}"],
        json_schema_extra={"airbyte_hidden": True, "order": 11},
    )

    @field_validator("s3_bucket_name")
    @classmethod
    def _bucket_name(cls, value: str) -> str:
        name = value.strip()
        if not name or any(char.isspace() or char == "/" for char in name):
            raise ValueError("must be the bucket's name alone: no spaces, no slashes, no s3:// prefix")
        return name

    @field_validator("s3_endpoint", "role_arn")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("s3_endpoint")
    @classmethod
    def _endpoint_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http(s) URL such as https://s3.us-east-1.amazonaws.com")
        return value.rstrip("/")

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, value: str | None) -> str | None:
        """A role's ARN, checked for its shape only: STS says whether it may be assumed (at `check`)."""
        if value is not None and (not value.startswith("arn:") or any(char.isspace() for char in value)):
            raise ValueError("must be a role's ARN, such as arn:aws:iam::123456789012:role/airbyte-rejects")
        return value

    @field_validator("access_key_id", "secret_access_key")
    @classmethod
    def _blank_secret_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        key = value.get_secret_value().strip()
        if any(char.isspace() or not char.isprintable() for char in key):
            raise ValueError(
                "contains a space, line break or other invisible character; "
                "copy it again and paste only the key"
            )
        return SecretStr(key)

    @field_validator("bucket_path")
    @classmethod
    def _trim_path(cls, value: str) -> str:
        return value.strip().strip("/")

    @field_validator("path_format")
    @classmethod
    def _path_format(cls, value: str) -> str:
        return check_path_format(value)

    @field_validator("file_name_format")
    @classmethod
    def _file_name_format(cls, value: str) -> str:
        return check_file_name_format(value)

    @field_validator("format")
    @classmethod
    def _no_flattening(cls, value: CsvFormat | JsonlFormat) -> CsvFormat | JsonlFormat:
        """Root-level flattening would put the record's fields beside `error`, where a field of that
        name would collide with the reason; the record stays one column."""
        if value.flattening != "No flattening":
            raise ValueError("flattening is not supported for rejected records; use 'No flattening'")
        return value

    @model_validator(mode="after")
    def _key_pair(self) -> S3ObjectStorage:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError(
                "give both the access key ID and the secret access key, or neither (then the credentials "
                "come from the environment, e.g. AWS_ACCESS_KEY_ID or an instance role)"
            )
        return self

    @property
    def location(self) -> str:
        """`s3://bucket/prefix/` for log lines and messages; never holds a credential."""
        return f"s3://{self.s3_bucket_name}/{self.bucket_path + '/' if self.bucket_path else ''}"


ObjectStorage = Annotated[NoObjectStorage | S3ObjectStorage, Field(discriminator="storage_type")]


def object_storage_field(**form: Any) -> Any:
    """The `object_storage_config` field of the connector's config model (config.py holds one line);
    `form` places it in the setup form (its `order` and `group`)."""
    return Field(
        default_factory=NoObjectStorage,
        title="Object Storage Configuration",
        description=(
            "Where rejected records are stored, each with the reason it was rejected. With S3, Airbyte links "
            "a sync's rejected records from the sync's page and counts them in its statistics."
        ),
        json_schema_extra=union_shape(**form),
    )
