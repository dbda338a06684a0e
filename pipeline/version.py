"""Which extractor produced an extraction: the code version and a hash of what the rule
files say (``rules.rules_fingerprint``: a comment or a blank line changes nothing). A
document is re-extracted when its stored version differs from the current one."""

from __future__ import annotations

from pipeline.rules import rules_fingerprint

CODE_VERSION = "0.2.0"  # the spaCy pipeline of issue 9


def current_extractor_version() -> str:
    """The code version plus the hash of the rules as they are on disk now."""
    return f"{CODE_VERSION}+rules.{rules_fingerprint()}"
