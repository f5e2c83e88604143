"""Airbyte destination that syncs records into Ontraport contacts."""

import sys

# airbyte-cdk imports requests_cache, which imports boto3 at start-up whenever it is installed, only to
# offer a DynamoDB cache backend this connector never uses (about 0.1 s of CPU in every run and test
# subprocess). boto3 is here for the rejected-records bucket and is imported when a bucket is used.
sys.modules.setdefault("requests_cache.backends.dynamodb", None)  # type: ignore[arg-type]

from destination_ontraport.destination import DestinationOntraport  # noqa: E402

__all__ = ["DestinationOntraport"]
