"""Top-level entries put into a YAML file's text, everything else kept byte for byte."""

from __future__ import annotations

from reconciler.plans.merge import merge_entries

EXISTING = """\
# yaml-language-server: $schema=../schemas/config.schema.json
# Our settings.
metadata_prefixes:
  limits: "lim:"   # the old scheme
  features: "feat:"

# Filled in for any price without the limit.
default_limits: {seats: 1}
default_plan: free
notes: |
  # not a comment: part of a text
"""
NEW = """\
# yaml-language-server: $schema=schemas/config.schema.json
metadata_prefixes:
  limits: 'limits:'
  features: 'features:'
"""


def test_an_entry_is_replaced_and_the_rest_kept() -> None:
    assert merge_entries(EXISTING, NEW) == EXISTING.replace(
        '  limits: "lim:"   # the old scheme\n  features: "feat:"\n',
        "  limits: 'limits:'\n  features: 'features:'\n",
    ).replace("$schema=../schemas/", "$schema=schemas/")


def test_an_equal_entry_is_left_as_written() -> None:
    same = EXISTING.replace('"lim:"', '"limits:"').replace('"feat:"', '"features:"')
    assert merge_entries(same, NEW) == same.replace("$schema=../schemas/", "$schema=schemas/")


def test_a_missing_entry_is_appended() -> None:
    without = "default_plan: free  # keep me"
    assert merge_entries(without, NEW) == (
        "default_plan: free  # keep me\nmetadata_prefixes:\n  limits: 'limits:'\n"
        "  features: 'features:'\n"
    )


def test_text_that_cannot_be_edited_by_entry_gives_none() -> None:
    assert merge_entries("{default_plan: free}\n", NEW) is None
    assert merge_entries("- a\n", NEW) is None
    assert merge_entries("key: [\n", NEW) is None
