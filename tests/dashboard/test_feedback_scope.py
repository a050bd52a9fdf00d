from __future__ import annotations

from assistant.dashboard.feedback import feedback_scope
from assistant.dialogue.types import Caller
from assistant.rebates.network import ChannelNetwork, ChannelNode, Level


def network() -> ChannelNetwork:
    return ChannelNetwork(
        [
            ChannelNode("N", "全国", Level.NATIONAL, None, "全国", "上海"),
            ChannelNode("R1", "华东", Level.REGIONAL, "N", "华东", "杭州"),
            ChannelNode("R2", "华南", Level.REGIONAL, "N", "华南", "深圳"),
            ChannelNode("A1", "杭州联盟", Level.ALLIANCE, "R1", "华东", "杭州"),
            ChannelNode("P1", "一号", Level.PARTNER, "A1", "华东", "杭州"),
            ChannelNode("P2", "二号", Level.PARTNER, "A1", "华东", "杭州"),
        ]
    )


def test_managers_read_their_subtree_and_everyone_else_their_own_node() -> None:
    net = network()
    assert set(feedback_scope(Caller(user_id="u", partner_id="R1", role="manager"), net)) == {"R1", "A1", "P1", "P2"}
    assert feedback_scope(Caller(user_id="u", partner_id="A1", role="sales"), net) == ("A1",)
    assert feedback_scope(Caller(user_id="u", partner_id="P1", role="manager"), net) == ("P1",)
    assert "R2" not in feedback_scope(Caller(user_id="u", partner_id="R1", role="admin"), net)  # never siblings
    assert feedback_scope(Caller(user_id="u", partner_id="R1", role="manager"), None) == ("R1",)  # no network
