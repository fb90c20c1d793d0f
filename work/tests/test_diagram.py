"""Tests for the server-side BPMN diagram renderer (work.diagram)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation
from lxml import etree

from work.diagram import BPMN_NS, BPMNDI_NS, DC_NS, render_svg

FIXTURES = Path(__file__).parent / "diagram"
SVG = "{http://www.w3.org/2000/svg}"
FLOW_NODES = {
    "start", "prepare_request", "approve_base_discounts", "approval_timeout", "decision", "fork",
    "notify_client", "update_crm", "join", "end", "escalate", "end_escalated",
}
SEQUENCE_FLOWS = {
    "flow_start", "flow_submit", "flow_decide", "flow_rework", "flow_approved", "flow_fork_notify",
    "flow_fork_crm", "flow_notify_join", "flow_crm_join", "flow_end", "flow_timeout", "flow_escalated",
}


@pytest.fixture
def approval_xml() -> bytes:
    return (FIXTURES / "discount_approval.bpmn").read_bytes()


@pytest.fixture
def lanes_xml() -> bytes:
    return (FIXTURES / "sales_lanes.bpmn").read_bytes()


def _svg(xml: bytes, **kwargs) -> etree._Element:
    svg = render_svg(xml, **kwargs)
    return etree.fromstring(svg.encode())


def _groups(svg: etree._Element, css_class: str) -> dict[str, etree._Element]:
    return {
        g.get("data-element-id"): g
        for g in svg.iter(f"{SVG}g")
        if css_class in g.get("class", "").split()
    }


def _view_box(svg: etree._Element) -> tuple[float, float, float, float]:
    x, y, w, h = map(float, svg.get("viewBox").split())
    return x, y, x + w, y + h


def _di_bounds(xml: bytes) -> list[tuple[float, float, float, float]]:
    root = etree.fromstring(xml)
    return [
        (float(b.get("x")), float(b.get("y")), float(b.get("x")) + float(b.get("width")),
         float(b.get("y")) + float(b.get("height")))
        for b in root.iter(f"{{{DC_NS}}}Bounds")
    ]


def test_output_is_accessible_scalable_svg(approval_xml):
    svg = _svg(approval_xml)
    assert svg.tag == f"{SVG}svg"
    assert svg.get("width") == "100%"
    assert svg.get("role") == "img"
    assert svg[0].tag == f"{SVG}title"
    assert svg[0].text == "Согласование скидок"
    assert svg.get("aria-labelledby") == svg[0].get("id")
    assert _svg(approval_xml, title="Заявка №7")[0].text == "Заявка №7"


def test_view_box_covers_every_shape_and_label(approval_xml, lanes_xml):
    for xml in (approval_xml, lanes_xml):
        left, top, right, bottom = _view_box(_svg(xml))
        for x1, y1, x2, y2 in _di_bounds(xml):
            assert left < x1 and top < y1 and x2 < right and y2 < bottom


def test_negative_coordinates_are_kept_in_view(lanes_xml):
    left, top, _right, _bottom = _view_box(_svg(lanes_xml))
    assert left < -200 and top < -100


def test_one_group_per_flow_node_with_state_classes(approval_xml):
    states = {"start": "done", "prepare_request": "done", "approve_base_discounts": "overdue",
              "escalate": "current", "not_in_diagram": "done"}
    nodes = _groups(_svg(approval_xml, states=states), "node")
    assert set(nodes) == FLOW_NODES
    for element_id, group in nodes.items():
        state = states.get(element_id, "neutral")
        assert group.get("class") == f"node node-{state}", element_id
        # The state is not told by colour alone: every marked node carries a badge glyph.
        badges = [g for g in group.iter(f"{SVG}g") if g.get("class") == "badge"]
        assert len(badges) == (0 if state == "neutral" else 1), element_id


def test_states_use_distinct_colours_and_thicker_strokes(approval_xml):
    nodes = _groups(_svg(approval_xml, states={"prepare_request": "done", "approve_base_discounts": "overdue",
                                               "escalate": "current"}), "node")
    rects = {i: nodes[i].find(f"{SVG}rect") for i in ("prepare_request", "approve_base_discounts",
                                                      "escalate", "update_crm")}
    assert len({r.get("stroke") for r in rects.values()}) == 4
    neutral = float(rects["update_crm"].get("stroke-width"))
    assert all(float(r.get("stroke-width")) > neutral for i, r in rects.items() if i != "update_crm")


def test_node_shapes_follow_the_element_kind(approval_xml):
    nodes = _groups(_svg(approval_xml), "node")
    assert len(nodes["start"].findall(f"{SVG}circle")) == 1
    assert float(nodes["end"].find(f"{SVG}circle").get("stroke-width")) >= 4
    timer = nodes["approval_timeout"]
    assert len(timer.findall(f"{SVG}circle")) == 3  # double ring + clock face
    assert nodes["prepare_request"].find(f"{SVG}rect").get("rx") == "10"
    for gateway in ("decision", "fork", "join"):
        assert len(nodes[gateway].findall(f"{SVG}path")) == 2  # diamond + X or +
    assert nodes["decision"].get("data-kind") == "exclusiveGateway"


def test_every_sequence_flow_has_an_arrow(approval_xml):
    svg = _svg(approval_xml)
    edges = _groups(svg, "edge")
    assert set(edges) == SEQUENCE_FLOWS
    marker_ids = {m.get("id") for m in svg.iter(f"{SVG}marker")}
    for element_id, group in edges.items():
        line = group.find(f"{SVG}polyline")
        match = re.fullmatch(r"url\(#(.+)\)", line.get("marker-end") or "")
        assert match and match.group(1) in marker_ids and match.group(1).endswith("-arrow"), element_id
    assert edges["flow_approved"].find(f"{SVG}polyline").get("marker-start", "").endswith("-default)")
    assert edges["flow_rework"].find(f"{SVG}polyline").get("points").count(",") == 4


def test_names_are_drawn_and_wrapped(approval_xml):
    svg = _svg(approval_xml)
    nodes = _groups(svg, "node")
    lines = [t.text for t in nodes["prepare_request"].iter(f"{SVG}tspan")]
    assert len(lines) > 1
    assert "".join(lines) == "Подготовить заявку на скидку"  # each line but the last ends with a space
    edge_text = "".join(_groups(svg, "edge")["flow_rework"].find(f"{SVG}text").itertext())
    assert edge_text == "Доработать"


def test_legend_texts(approval_xml):
    svg = render_svg(approval_xml)
    for text in ("Выполнено", "Текущий шаг", "Просрочено"):
        assert text in svg
    with translation.override("ru"):
        tree = etree.fromstring(render_svg(approval_xml).encode())
    legend = [g for g in tree.iter(f"{SVG}g") if g.get("class") == "legend"]
    assert len(legend) == 1
    # The legend sits below the diagram and inside the view box.
    _left, _top, _right, bottom = _view_box(tree)
    diagram_bottom = max(b[3] for b in _di_bounds(approval_xml))
    legend_ys = [float(r.get("y")) for r in legend[0].iter(f"{SVG}rect")]
    assert all(diagram_bottom < y < bottom for y in legend_ys)
    assert "Выполнено" not in render_svg(approval_xml, legend=False)


def test_states_are_spelled_out_for_screen_readers(approval_xml):
    svg = _svg(approval_xml, states={"escalate": "current", "approve_base_discounts": "overdue"})
    desc = svg.find(f"{SVG}desc")
    assert desc is not None
    assert "Текущий шаг: Эскалация руководителю отдела продаж" in desc.text
    assert "Просрочено: Согласовать базовые скидки для контрагента" in desc.text
    assert svg.get("aria-labelledby").split() == [svg[0].get("id"), desc.get("id")]


def test_untrusted_text_is_escaped(approval_xml):
    hostile = approval_xml.replace(
        "Обновить условия в CRM".encode(), b"&lt;script&gt;alert(1)&lt;/script&gt;").replace(
        b'id="update_crm"', b'id="x&quot;&gt;&lt;script&gt;"', 1)
    hostile = hostile.replace(b'targetRef="update_crm"', b'targetRef="x&quot;&gt;&lt;script&gt;"')
    hostile = hostile.replace(b'bpmnElement="update_crm"', b'bpmnElement="x&quot;&gt;&lt;script&gt;"')
    out = render_svg(hostile, title="<b>title</b>", states={'x"><script>': "current"})
    assert "<script" not in out
    assert "<b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    svg = etree.fromstring(out.encode())
    assert not list(svg.iter(f"{SVG}script", "script"))
    node = _groups(svg, "node")['x"><script>']
    assert node.get("class") == "node node-current"
    assert "<script>alert(1)</script>" in "".join(node.itertext())


def test_file_without_diagram_information_is_refused(approval_xml):
    root = etree.fromstring(approval_xml)
    root.remove(root.find(f"{{{BPMNDI_NS}}}BPMNDiagram"))
    with pytest.raises(ValueError, match="no diagram information"):
        render_svg(etree.tostring(root))


@pytest.mark.parametrize("xml", [
    b"not xml at all",
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "boom">]><d>&e;</d>',
    b'<!DOCTYPE d SYSTEM "http://example.invalid/evil.dtd"><d/>',
])
def test_malformed_or_dtd_bearing_files_are_refused(xml):
    with pytest.raises(ValueError):
        render_svg(xml)


def test_unknown_state_is_refused(approval_xml):
    with pytest.raises(ValueError, match="Unknown diagram state"):
        render_svg(approval_xml, states={"escalate": "blocked"})


def test_pools_lanes_and_unknown_kinds(lanes_xml):
    svg = _svg(lanes_xml, states={"check_client": "done", "review_terms": "current"})
    assert set(_groups(svg, "pool")) == {"sales_pool"}
    assert set(_groups(svg, "lane")) == {"lane_manager", "lane_head"}
    pool_label = next(t for t in _groups(svg, "pool")["sales_pool"].iter(f"{SVG}text"))
    assert pool_label.get("transform", "").startswith("rotate(-90")
    nodes = _groups(svg, "node")
    store = nodes["crm_store"]  # not a kind the renderer knows: a plain rectangle with its name
    assert store.find(f"{SVG}rect").get("rx") == "0"
    assert "".join(store.find(f"{SVG}text").itertext()) == "CRM"
    assert nodes["review_terms"].get("class") == "node node-current"
    assert "Проверить кредитный лимит" in "".join(_groups(svg, "annotation")["note"].itertext())
    assert "association" in _groups(svg, "edge")["note_link"].get("class")


def test_shape_for_an_element_missing_from_the_model_is_still_drawn(lanes_xml):
    xml = lanes_xml.replace(b'bpmnElement="crm_store"', b'bpmnElement="ghost"')
    nodes = _groups(_svg(xml, states={"ghost": "overdue"}), "node")
    assert nodes["ghost"].get("data-kind") == "unknown"
    assert nodes["ghost"].get("class") == "node node-overdue"
    assert nodes["ghost"].find(f"{SVG}rect") is not None


def test_two_diagrams_on_one_page_do_not_share_marker_ids(approval_xml, lanes_xml):
    ids_a = {m.get("id") for m in _svg(approval_xml).iter(f"{SVG}marker")}
    ids_b = {m.get("id") for m in _svg(lanes_xml).iter(f"{SVG}marker")}
    assert ids_a and not ids_a & ids_b


def test_model_namespace_is_the_bpmn_one(approval_xml):
    # Guards the fixture itself: the renderer keys everything on the BPMN 2.0 namespace.
    assert etree.fromstring(approval_xml).tag == f"{{{BPMN_NS}}}definitions"



MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
             xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d" targetNamespace="t">
  <process id="p"><startEvent id="s" name="Очень длинное название стартового события" /></process>
  <bpmndi:BPMNDiagram id="di"><bpmndi:BPMNPlane id="pl" bpmnElement="p">
    <bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="0" y="0" width="36" height="36" />
    </bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</definitions>""".encode()


def test_names_below_unlabelled_events_stay_clear_of_the_legend():
    # Without a BPMNLabel the name goes below the circle; it must count towards the view box so
    # that the legend starts underneath it instead of on top of it.
    svg = _svg(MINIMAL)
    text = _groups(svg, "node")["s"].find(f"{SVG}text")
    spans = text.findall(f"{SVG}tspan")
    assert len(spans) > 1
    last_baseline = float(text.get("y")) + sum(float(t.get("dy")) for t in spans)
    legend = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "legend")
    assert last_baseline < float(legend.find(f".//{SVG}rect").get("y"))
    assert _view_box(svg)[0] < -20  # the centred name is wider than the circle


def test_names_read_whole_words_fit_their_shapes_and_show_in_full_on_hover():
    """Issue 17: «Контрагент ненужен» (two lines read together) and names cut with «…»."""
    xml = (Path(__file__).resolve().parents[2] / "processes" / "add_counterparty.bpmn").read_bytes()
    svg = _svg(xml)
    nodes = _groups(svg, "node")
    end = nodes["end_rejected"]
    assert "".join(end.find(f"{SVG}text").itertext()) == "Контрагент не нужен"
    assert end.find(f"{SVG}title").text == "Контрагент не нужен"
    assert "…" not in etree.tostring(svg, encoding="unicode")
    shapes = {s.get("bpmnElement"): s for s in etree.fromstring(xml).iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    for ref, g in nodes.items():
        name = g.find(f"{SVG}title")
        rect = g.find(f"{SVG}rect")
        if name is None or rect is None or g.get("data-kind") not in {"userTask", "serviceTask"}:
            continue
        text = g.find(f"{SVG}text")
        lines = [t.text.strip() for t in text.iter(f"{SVG}tspan")]
        assert " ".join(lines) == name.text, ref  # every word, none cut
        bounds = shapes[ref].find(f"{{{DC_NS}}}Bounds")
        size = float(text.get("font-size"))
        assert len(lines) * size * 1.2 <= float(bounds.get("height")), ref
        assert max(len(line) for line in lines) * size * 0.6 <= float(bounds.get("width")), ref
    edge = _groups(svg, "edge")["f_not_needed"]
    assert edge.find(f"{SVG}title").text == "Контрагент не нужен"
