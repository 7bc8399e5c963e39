"""Input parsing: the three formats, malformed lines with their numbers, duplicates, blanks."""

from __future__ import annotations

import pytest

from reconciler.backfill.inputs import (
    EntityInput,
    InputProblem,
    ParsedInput,
    detect_format,
    parse_input,
)


def test_plain_ids_skip_blank_lines_and_count_duplicates_once() -> None:
    parsed = parse_input("user-1\n\n  user-2  \nuser-1\nuser-3\n")
    assert parsed == ParsedInput(
        format="ids",
        entities=(EntityInput("user-1"), EntityInput("user-2"), EntityInput("user-3")),
        problems=(),
        duplicates=1,
    )


def test_plain_ids_report_malformed_lines_with_numbers() -> None:
    text = "ok-1\nhas space\n" + "x" * 501 + "\nctl\x07id\nok-2\n"
    parsed = parse_input(text)
    assert parsed.entities == (EntityInput("ok-1"), EntityInput("ok-2"))
    assert parsed.problems == (
        InputProblem(2, "entity id 'has space' contains whitespace"),
        InputProblem(3, "entity id is longer than 500 characters"),
        InputProblem(4, "entity id 'ctl\\x07id' contains a control character"),
    )


def test_csv_with_optional_columns_in_any_order() -> None:
    text = (
        "name,entity_id,plan,email\nAda,u1,pro,ada@example.com\n,u2,free,\nBob,u1,x,b@example.com\n"
    )
    parsed = parse_input(text)
    assert parsed.format == "csv"
    assert parsed.entities == (
        EntityInput("u1", "ada@example.com", "Ada"),
        EntityInput("u2", None, None),
    )
    assert parsed.duplicates == 1
    assert parsed.problems == ()


def test_csv_malformed_rows() -> None:
    text = 'entity_id,email\nu1,a@example.com\nu2\nu3,not-an-email\n,x@example.com\n"u4,a@b.c\n'
    parsed = parse_input(text)
    assert parsed.entities == (EntityInput("u1", "a@example.com"),)
    assert [p.format("users.csv") for p in parsed.problems] == [
        "users.csv:3: expected 2 fields, found 1",
        "users.csv:4: invalid email 'not-an-email'",
        "users.csv:5: empty entity id",
        "users.csv:6: invalid CSV: unexpected end of data",
    ]


def test_csv_without_entity_id_column_is_one_problem() -> None:
    parsed = parse_input("id,email\nu1,a@b.co\n", "csv")
    assert parsed.entities == ()
    assert parsed.problems == (InputProblem(1, "CSV header has no entity_id column"),)


def test_json_lines() -> None:
    text = "\n".join(
        [
            '{"entity_id": "u1", "email": "a@example.com", "name": "Ada"}',
            '{"entity_id": "u2", "email": null}',
            "{not json",
            "[1, 2]",
            '{"email": "x@example.com"}',
            '{"entity_id": 7}',
            '{"entity_id": "u3", "name": 5}',
            '{"entity_id": "u2"}',
        ]
    )
    parsed = parse_input(text)
    assert parsed.format == "jsonl"
    assert parsed.entities == (EntityInput("u1", "a@example.com", "Ada"), EntityInput("u2"))
    assert parsed.duplicates == 1
    assert parsed.problems == (
        InputProblem(
            3, "invalid JSON: Expecting property name enclosed in double quotes at column 2"
        ),
        InputProblem(4, "expected a JSON object"),
        InputProblem(5, "missing entity_id"),
        InputProblem(6, "entity_id must be a string"),
        InputProblem(7, "name must be a string"),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "ids"),
        ("\n\n", "ids"),
        ("u1\nu2\n", "ids"),
        ("entity_id\nu1\n", "csv"),
        (" email , entity_id\n", "csv"),
        ('\n{"entity_id": "u1"}\n', "jsonl"),
    ],
)
def test_detect_format(text: str, expected: str) -> None:
    assert detect_format(text) == expected


def test_empty_input_has_nothing() -> None:
    assert parse_input("\n  \n") == ParsedInput("ids", (), (), 0)


def test_forced_format_overrides_detection() -> None:
    # A plain id that happens to be named entity_id is still an id when the format is forced.
    assert parse_input("entity_id\n", "ids").entities == (EntityInput("entity_id"),)


def test_a_customer_id_column_names_the_existing_customer_once() -> None:
    text = (
        "entity_id,customer_id,email\nu1,cus_A,a@example.com\nu2,,\nu3,cus_A,\nu4,cus with space,\n"
    )
    parsed = parse_input(text)
    assert parsed.entities == (
        EntityInput("u1", "a@example.com", None, "cus_A"),
        EntityInput("u2"),
    )
    assert parsed.problems == (
        InputProblem(4, "customer_id 'cus_A' is already given to entity 'u1' (line 2)"),
        InputProblem(5, "invalid customer_id 'cus with space'"),
    )
    jsonl = '{"entity_id": "u1", "customer_id": "cus_B"}\n{"entity_id": "u2", "customer_id": 7}\n'
    parsed = parse_input(jsonl)
    assert parsed.entities == (EntityInput("u1", customer_id="cus_B"),)
    assert parsed.problems == (InputProblem(2, "customer_id must be a string"),)
