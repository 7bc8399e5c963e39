"""Which existing customer each entity gets (`reconciler.backfill.adopt.decide`): pure."""

from __future__ import annotations

from reconciler.backfill.adopt import Decision, Listed, MatchRules, decide, listed, relevant
from reconciler.backfill.inputs import EntityInput

BOTH = MatchRules(metadata_key="user_id", email=True)


def customer(
    id: str,
    created: int = 100,
    position: int = 0,
    entity_id: str | None = None,
    email: str | None = None,
    key_value: str | None = None,
) -> Listed:
    return Listed(id, created, position, entity_id, email, key_value)


def test_entity_id_then_customer_id_then_metadata_then_email() -> None:
    pending = [
        EntityInput("u1"),
        EntityInput("u2", customer_id="cus_given"),
        EntityInput("u3", email="Three@Example.com"),
        EntityInput("u4", email="four@example.com"),
        EntityInput("u5"),
    ]
    customers = [
        customer("cus_new", created=200, entity_id="u1"),
        customer("cus_old", created=100, entity_id="u1"),
        customer("cus_given"),
        customer("cus_key", key_value="u3", email="someone@example.com"),
        customer("cus_mail3", email="three@example.com"),
        customer("cus_mail4", email="FOUR@example.com"),
    ]
    assert decide(pending, customers, BOTH) == {
        "u1": Decision("matched", "cus_old"),
        "u2": Decision("adopted", "cus_given", by="customer_id"),
        "u3": Decision("adopted", "cus_key", by="metadata.user_id"),
        "u4": Decision("adopted", "cus_mail4", by="email"),
    }
    # Without the rules only metadata.entityId and the input's customer_id count.
    assert decide(pending, customers, MatchRules()) == {
        "u1": Decision("matched", "cus_old"),
        "u2": Decision("adopted", "cus_given", by="customer_id"),
    }


def test_a_customer_of_another_entity_is_never_a_candidate() -> None:
    pending = [EntityInput("u1", email="a@example.com"), EntityInput("u2", customer_id="cus_x")]
    customers = [
        customer("cus_a", entity_id="other", email="a@example.com", key_value="u1"),
        customer("cus_x", entity_id="other"),
    ]
    assert decide(pending, customers, BOTH) == {
        "u2": Decision(
            "refused",
            reason="customer cus_x (from the input) carries metadata.entityId other, another "
            "entity",
        )
    }


def test_what_is_refused_and_why() -> None:
    pending = [
        EntityInput("u1", customer_id="cus_missing"),
        EntityInput("u2", customer_id="cus_other"),
        EntityInput("u3"),
        EntityInput("u4", email="twice@example.com"),
        EntityInput("u5", email="shared@example.com"),
        EntityInput("u6", email="shared@example.com"),
    ]
    customers = [
        customer("cus_mine", entity_id="u2"),
        customer("cus_other"),
        customer("cus_k1", created=5, key_value="u3"),
        customer("cus_k2", created=9, key_value="u3"),
        customer("cus_t1", created=1, email="twice@example.com"),
        customer("cus_t2", created=2, email="twice@example.com"),
        customer("cus_s", email="shared@example.com"),
    ]
    reasons = {e: d.reason for e, d in decide(pending, customers, BOTH).items()}
    assert reasons == {
        "u1": "customer cus_missing (from the input) does not exist in this account and mode, "
        "or was deleted",
        "u2": "the input names customer cus_other, but customer cus_mine already carries "
        "metadata.entityId u2",
        "u3": "2 customers have metadata.user_id = u3 (cus_k1, cus_k2); give the one to keep "
        "in the input's customer_id column",
        "u4": "2 customers have the email twice@example.com (cus_t1, cus_t2); give the one to "
        "keep in the input's customer_id column",
        "u5": "several entities in the input have the email shared@example.com, so it cannot "
        "say whose customer cus_s is; give it in the customer_id column of the one it belongs "
        "to",
        "u6": "several entities in the input have the email shared@example.com, so it cannot "
        "say whose customer cus_s is; give it in the customer_id column of the one it belongs "
        "to",
    }


def test_one_customer_two_entities_would_take_goes_to_neither() -> None:
    # u1 finds it by its email, u2 by its metadata key.
    pending = [EntityInput("u1", email="ada@example.com"), EntityInput("u2")]
    customers = [customer("cus_both", email="ada@example.com", key_value="u2")]
    refused = Decision(
        "refused", reason="customer cus_both would be adopted by 2 entities (u1, u2)"
    )
    assert decide(pending, customers, BOTH) == {"u1": refused, "u2": refused}


def test_a_customer_the_input_gives_to_an_entity_of_another_shard_is_not_found_for_another() -> (
    None
):
    # This shard decides u2; u1, of another shard, names the customer u2's email finds.
    every = [
        EntityInput("u1", customer_id="cus_a"),
        EntityInput("u2", email="ada@example.com"),
        EntityInput("u3", email="bob@example.com"),
        EntityInput("u4", email="Bob@example.com"),
    ]
    customers = [
        customer("cus_a", email="ada@example.com"),
        customer("cus_b", email="bob@example.com"),
    ]
    assert decide(every[1:2], customers, BOTH, every) == {
        "u2": Decision(
            "refused",
            reason="customer cus_a has the email ada@example.com, but the input gives it to "
            "entity u1 (customer_id)",
        )
    }
    # An email two entities share refuses each, whichever shard decides it.
    (decision,) = decide(every[2:3], customers, BOTH, every).values()
    assert decision.reason.startswith("several entities in the input have the email bob@")
    # Alone, each would have been adopted.
    assert decide(every[1:2], customers, BOTH)["u2"] == Decision("adopted", "cus_a", by="email")


def test_the_input_customer_id_agreeing_with_the_entity_id_is_a_match() -> None:
    pending = [EntityInput("u1", customer_id="cus_newer")]
    customers = [
        customer("cus_newer", created=9, entity_id="u1"),
        customer("cus_older", created=1, entity_id="u1"),
    ]
    assert decide(pending, customers, MatchRules()) == {"u1": Decision("matched", "cus_newer")}


def test_of_customers_made_in_one_second_the_last_listed_is_the_oldest() -> None:
    customers = [
        customer("cus_listed_first", created=7, position=0, entity_id="u1"),
        customer("cus_listed_last", created=7, position=1, entity_id="u1"),
    ]
    assert decide([EntityInput("u1")], customers, MatchRules()) == {
        "u1": Decision("matched", "cus_listed_last")
    }


def test_only_customers_that_may_belong_to_a_pending_entity_are_kept() -> None:
    raw = {
        "id": "cus_1",
        "created": 5,
        "email": "Ada@Example.com",
        "metadata": {"user_id": "u9"},
    }
    seen = listed(raw, 3, BOTH)
    assert seen == Listed("cus_1", 5, 3, None, "Ada@Example.com", "u9")
    assert relevant(seen, {"u9"}, set(), set())
    assert relevant(seen, set(), set(), {"ada@example.com"})
    assert relevant(seen, set(), {"cus_1"}, set())
    assert not relevant(seen, {"u1"}, {"cus_2"}, {"bob@example.com"})
    # Without --match-metadata the key is not read at all.
    assert listed(raw, 3, MatchRules()).key_value is None
    owned = listed({**raw, "metadata": {"entityId": "u1", "user_id": "u9"}}, 0, BOTH)
    assert not relevant(owned, {"u9"}, set(), {"ada@example.com"})
    assert relevant(owned, {"u1"}, set(), set())
