"""Server-side SVG rendering of BPMN 2.0 diagrams for the process instance page.

The page must work without JavaScript and without external assets, so the diagram is drawn
here from the file's own diagram information (BPMN DI: ``BPMNShape`` bounds and ``BPMNEdge``
waypoints) instead of by bpmn-js in the browser. Step states (done / current / overdue) are shown
by colour *and* by stroke width plus a badge glyph, so they survive colour blindness and greyscale.

The SVG is built as an lxml tree and serialised, never glued together from strings: element
names come from uploaded files, and the serialiser is what guarantees they come out as text.
Presentation is given as attributes, not a ``<style>`` element, because a ``<style>`` inside
inline SVG would leak into the whole HTML page; the ``node``/``node-<state>`` classes and
``data-element-id`` are there for tests and page CSS.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from lxml import etree

from base import words
from engine.expressions import ExpressionError, render

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
SVG_NS = "http://www.w3.org/2000/svg"

STATES = ("done", "current", "overdue")
# (stroke, fill, minimum stroke width). Strokes have >= 7:1 contrast on white (WCAG AAA).
_PALETTE: dict[str, tuple[str, str, float]] = {
    "neutral": ("#1f2933", "#ffffff", 1.5),
    "done": ("#1b5e20", "#e8f5e9", 2.5),
    "current": ("#0d47a1", "#e3f2fd", 3.5),
    "overdue": ("#b71c1c", "#ffebee", 3.5),
}
_INK = "#1f2933"
_EDGE = "#3e4c59"
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"
_FONT_SIZE = 12.0
_CHAR_WIDTH = 0.6  # average glyph width in em; Cyrillic runs a little wider than Latin
_LINE_HEIGHT = 1.2
#: The smallest font a long name shrinks to inside its shape (still legible at 100 % zoom).
_MIN_FONT_SIZE = 9.0
_PAD = 20.0
_POOL_BAND = 30.0  # bpmn-js convention: width of the name band on the left of pools and lanes

_TASKS = {"task", "userTask", "serviceTask", "scriptTask", "manualTask", "businessRuleTask",
          "sendTask", "receiveTask", "callActivity"}
_SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
_EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
_GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}


def _legend_labels() -> dict[str, str]:
    """Looked up per call so the active request language applies."""
    return {"done": gettext("Выполнено"), "current": gettext("Текущий шаг"), "overdue": gettext("Просрочено")}


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _n(value: float) -> str:
    """Short, locale-independent number formatting keeps the SVG compact and deterministic."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def _p(*parts: object) -> str:
    """Path data from commands and numbers: ``_p("M", 1.5, 2, "h", 10)`` -> ``"M 1.5 2 h 10"``."""
    return " ".join(_n(v) if isinstance(v, float | int) else str(v) for v in parts)


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _sub(parent: etree._Element, tag: str, attrs: Mapping[str, object] | None = None,
         text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, _q(SVG_NS, tag))
    for key, value in (attrs or {}).items():
        el.set(key, _n(value) if isinstance(value, float | int) else str(value))
    if text is not None:
        el.text = text
    return el


def _parse(xml: bytes | str) -> etree._Element:
    """Parse untrusted XML: no DTDs, no entity expansion, no network, no processing instructions."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_pis=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"The BPMN file is not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise ValueError("The BPMN file declares a DOCTYPE; DTDs and entities are not allowed.")
    return root


def _bounds(el: etree._Element | None) -> _Box | None:
    if el is None:
        return None
    b = el.find(_q(DC_NS, "Bounds"))
    if b is None:
        return None
    try:
        box = _Box(*(float(b.get(k, "")) for k in ("x", "y", "width", "height")))
    except ValueError:
        return None
    return box if all(map(math.isfinite, (box.x, box.y, box.w, box.h))) and box.w >= 0 <= box.h else None


def _wrap(text: str, width: float, size: float = _FONT_SIZE) -> list[str]:
    """Wrap by an estimated glyph width: no font metrics on the server, so err on the narrow side.

    Words are never broken and nothing is cut with «…»: a name too long for its shape gets a smaller
    font (:func:`_fitted`), and its full text is in the shape's ``<title>`` for a hover anyway.
    """
    per_line = max(1, int(width / (size * _CHAR_WIDTH)))
    lines: list[str] = []
    for para in text.splitlines():
        lines.extend(textwrap.wrap(para, per_line, break_long_words=False) or ([""] if lines else []))
    return lines


def _fitted(text: str, width: float, height: float) -> tuple[list[str], float]:
    """The lines and font size at which ``text`` fits a ``width`` × ``height`` box: the usual size
    when it fits, else down to :data:`_MIN_FONT_SIZE` (and at that size it may run past the box,
    which reads better than a word cut in half)."""
    size = _FONT_SIZE
    while True:
        lines = _wrap(text, width, size)
        longest = max((len(line) for line in lines), default=0) * size * _CHAR_WIDTH
        if size <= _MIN_FONT_SIZE or (len(lines) * size * _LINE_HEIGHT <= height and longest <= width):
            return lines, size
        size -= 0.5


def _text(parent: etree._Element, lines: list[str], x: float, y: float, *, size: float = _FONT_SIZE,
          anchor: str = "middle", valign: str = "middle", rotate: bool = False) -> None:
    """Multi-line text; ``y`` is the block's centre (``valign="middle"``) or its top edge."""
    if not lines:
        return
    lh = size * _LINE_HEIGHT
    first = y - (len(lines) - 1) * lh / 2 + size * 0.35 if valign == "middle" else y + size
    attrs: dict[str, object] = {"x": x, "y": first, "font-size": size, "text-anchor": anchor, "fill": _INK}
    if rotate:
        attrs["transform"] = f"rotate(-90 {_n(x)} {_n(y)})"
    el = _sub(parent, "text", attrs)
    for i, line in enumerate(lines):
        # A space ends every line but the last: the text's textContent (what a screen reader or a
        # copy reads) would otherwise run «Контрагент не» and «нужен» together.
        _sub(el, "tspan", {"x": x, "dy": 0 if i == 0 else lh}, line if i == len(lines) - 1 else line + " ")


def _badge(parent: etree._Element, state: str, cx: float, cy: float) -> None:
    """A glyph that tells the states apart without relying on colour."""
    stroke = _PALETTE[state][0]
    g = _sub(parent, "g", {"class": "badge", "transform": f"translate({_n(cx)} {_n(cy)})"})
    _sub(g, "circle", {"r": 8, "fill": stroke, "stroke": "#ffffff", "stroke-width": 1.5})
    if state == "done":
        _sub(g, "path", {"d": "M-4 0.5 L-1.2 3.3 L4 -2.8", "fill": "none", "stroke": "#ffffff",
                         "stroke-width": 2, "stroke-linecap": "round", "stroke-linejoin": "round"})
    elif state == "current":
        _sub(g, "path", {"d": "M-2.5 -4 L4 0 L-2.5 4 Z", "fill": "#ffffff"})
    else:
        _sub(g, "path", {"d": "M0 -4.5 V1", "stroke": "#ffffff", "stroke-width": 2.2,
                         "stroke-linecap": "round"})
        _sub(g, "circle", {"cy": 3.7, "r": 1.3, "fill": "#ffffff"})


def _task_glyph(g: etree._Element, kind: str, x: float, y: float) -> None:
    """Type marker in the top-left corner, as in the BPMN notation (16x16 box at x, y)."""
    line = {"fill": "none", "stroke": _INK, "stroke-width": 1.2}
    if kind == "userTask":
        _sub(g, "circle", {"cx": x + 8, "cy": y + 5, "r": 3.5, **line})
        _sub(g, "path", {"d": f"M{_n(x + 1)} {_n(y + 16)} c0 -5 3 -7.5 7 -7.5 s7 2.5 7 7.5 Z", **line})
    elif kind == "serviceTask":  # gear: a thick dashed ring makes the teeth
        _sub(g, "circle", {"cx": x + 8, "cy": y + 8, "r": 5.5, "fill": "none", "stroke": _INK,
                           "stroke-width": 3, "stroke-dasharray": "2.4 1.92"})
        _sub(g, "circle", {"cx": x + 8, "cy": y + 8, "r": 4.2, **line, "fill": "#ffffff"})
        _sub(g, "circle", {"cx": x + 8, "cy": y + 8, "r": 1.6, **line})
    elif kind == "scriptTask":  # a scroll with lines of text
        _sub(g, "path", {"d": f"M{_n(x + 3)} {_n(y + 1)} h10 c-3 3 -3 4 0 7 s3 4 0 7 h-10 c3 -3 3 -4 0 -7 "
                              f"s-3 -4 0 -7 Z M{_n(x + 5)} {_n(y + 5)} h6 M{_n(x + 6)} {_n(y + 8.5)} h6 "
                              f"M{_n(x + 5)} {_n(y + 12)} h6", **line})


def _event(g: etree._Element, el: etree._Element | None, kind: str, box: _Box, stroke: str, fill: str,
           width: float) -> None:
    r = min(box.w, box.h) / 2
    outer: dict[str, object] = {"cx": box.cx, "cy": box.cy, "r": r, "fill": fill, "stroke": stroke}
    if el is not None and "false" in (el.get("cancelActivity"), el.get("isInterrupting")):
        outer["stroke-dasharray"] = "4 2.5"  # non-interrupting
    if kind == "endEvent":
        _sub(g, "circle", {**outer, "stroke-width": max(width, 4.0), "r": r - 1.5})
    elif kind == "startEvent":
        _sub(g, "circle", {**outer, "stroke-width": width})
    else:
        _sub(g, "circle", {**outer, "stroke-width": min(width, 2.0)})
        _sub(g, "circle", {**outer, "r": r - 3.5, "fill": "none", "stroke-width": min(width, 2.0)})
    defs = {etree.QName(d).localname for d in el.iterchildren(_q(BPMN_NS, "*"))} if el is not None else set()
    ir = r * 0.55
    if "timerEventDefinition" in defs:
        _sub(g, "circle", {"cx": box.cx, "cy": box.cy, "r": ir, "fill": "#ffffff", "stroke": _INK,
                           "stroke-width": 1.3})
        _sub(g, "path", {"d": _p("M", box.cx, box.cy - ir * 0.75, "V", box.cy, "H", box.cx + ir * 0.55),
                         "fill": "none", "stroke": _INK, "stroke-width": 1.3, "stroke-linecap": "round"})
    elif "messageEventDefinition" in defs:
        ex, ey, ew, eh = box.cx - ir, box.cy - ir * 0.65, ir * 2, ir * 1.3
        _sub(g, "path", {"d": _p("M", ex, ey, "h", ew, "v", eh, "h", -ew, "Z l", ir, eh * 0.55, "l", ir, -eh * 0.55),
                         "fill": "#ffffff", "stroke": _INK, "stroke-width": 1.2})
    elif "terminateEventDefinition" in defs:
        _sub(g, "circle", {"cx": box.cx, "cy": box.cy, "r": ir, "fill": _INK})


def _gateway(g: etree._Element, kind: str, box: _Box, stroke: str, fill: str, width: float) -> None:
    x, y, w, h, cx, cy = box.x, box.y, box.w, box.h, box.cx, box.cy
    _sub(g, "path", {"d": _p("M", cx, y, "L", x + w, cy, "L", cx, y + h, "L", x, cy, "Z"),
                     "fill": fill, "stroke": stroke, "stroke-width": width, "stroke-linejoin": "round"})
    mark = {"fill": "none", "stroke": _INK, "stroke-width": 3.5, "stroke-linecap": "round"}
    s, p = w * 0.16, w * 0.22
    if kind in {"exclusiveGateway", "complexGateway"}:
        _sub(g, "path", {"d": _p("M", cx - s, cy - s, "l", 2 * s, 2 * s, "m 0", -2 * s, "l", -2 * s, 2 * s), **mark})
    if kind in {"parallelGateway", "complexGateway"}:
        _sub(g, "path", {"d": _p("M", cx, cy - p, "v", 2 * p, "M", cx - p, cy, "h", 2 * p), **mark})
    if kind == "inclusiveGateway":
        _sub(g, "circle", {"cx": cx, "cy": cy, "r": p, **mark, "stroke-width": 2.5})
    if kind == "eventBasedGateway":
        _sub(g, "circle", {"cx": cx, "cy": cy, "r": p, **mark, "stroke-width": 1.2})
        _sub(g, "circle", {"cx": cx, "cy": cy, "r": p - 2.5, **mark, "stroke-width": 1.2})


def _outside_label(g: etree._Element, name: str, box: _Box, label: _Box | None) -> None:
    """Events and gateways carry their name outside the shape: at BPMNLabel bounds, else below."""
    size = _FONT_SIZE - 1
    label = label or _default_label(name, box)
    _text(g, _wrap(name, max(label.w * 1.25, 90.0), size), label.cx, label.y - 2, size=size, valign="top")


def _default_label(name: str, box: _Box) -> _Box:
    """Where a modeller would put an event/gateway name that has no BPMNLabel: centred below."""
    w = max(box.w * 2.5, 90.0)
    lines = len(_wrap(name, w * 1.25, _FONT_SIZE - 1))
    return _Box(box.cx - w / 2, box.y + box.h + 6, w, lines * (_FONT_SIZE - 1) * _LINE_HEIGHT)


def _node(parent: etree._Element, ref: str, el: etree._Element | None, kind: str, box: _Box,
          label: _Box | None, state: str, expanded: bool) -> None:
    """One flow node (or an unknown shape) as ``<g class="node node-<state>" data-element-id=...>``."""
    stroke, fill, width = _PALETTE[state]
    name = (el.get("name") or "").strip() if el is not None else ""
    g = _sub(parent, "g", {"class": f"node node-{state}", "data-element-id": ref, "data-kind": kind})
    if name:  # the full name on hover, whatever the wrapping did to fit the shape
        _sub(g, "title", None, name)
    badge_at = (box.x + box.w - 2, box.y + 2)
    if kind in _EVENTS:
        _event(g, el, kind, box, stroke, fill, width)
        _outside_label(g, name, box, label)
        badge_at = (box.x + box.w, box.y)
    elif kind in _GATEWAYS:
        _gateway(g, kind, box, stroke, fill, width)
        _outside_label(g, name, box, label)
        badge_at = (box.x + box.w * 0.75, box.y + box.h * 0.25)
    elif kind == "textAnnotation":
        g.set("class", "annotation")
        text_el = el.find(_q(BPMN_NS, "text")) if el is not None else None
        _sub(g, "path", {"d": f"M{_n(box.x + 10)} {_n(box.y)} h-10 v{_n(box.h)} h10", "fill": "none",
                         "stroke": _EDGE, "stroke-width": 1.2})
        words = (text_el.text or "") if text_el is not None else ""
        _text(g, _wrap(words, box.w - 8, _FONT_SIZE - 1), box.x + 5, box.y + 2, size=_FONT_SIZE - 1,
              anchor="start", valign="top")
        return
    else:  # tasks, sub-processes and anything unknown: a (rounded) rectangle
        rx = 10 if kind in _TASKS | _SUBPROCESSES else 0
        _sub(g, "rect", {"x": box.x, "y": box.y, "width": box.w, "height": box.h, "rx": rx, "fill": fill,
                         "stroke": stroke, "stroke-width": max(width, 3.0 if kind == "callActivity" else 0)})
        _task_glyph(g, kind, box.x + 6, box.y + 6)
        if kind in _SUBPROCESSES and expanded:
            _text(g, _wrap(name, box.w - 20), box.x + 10, box.y + 4, anchor="start", valign="top")
        else:
            inner = 16 if kind in {"userTask", "serviceTask", "scriptTask"} else 4
            lines, size = _fitted(name, box.w - 12, box.h - inner - 8)
            _text(g, lines, box.cx, box.cy + inner / 4, size=size)
        if (kind in _SUBPROCESSES and not expanded) or kind == "callActivity":
            mx, my = box.cx - 7, box.y + box.h - 16
            _sub(g, "path", {"d": f"M{_n(mx)} {_n(my)} h14 v14 h-14 Z M{_n(mx + 7)} {_n(my + 3)} v8 "
                                  f"M{_n(mx + 3)} {_n(my + 7)} h8", "fill": "none", "stroke": _INK,
                             "stroke-width": 1.2})
    if state != "neutral":
        _badge(g, state, *badge_at)


def _container(parent: etree._Element, el: etree._Element | None, kind: str, box: _Box,
               horizontal: bool) -> None:
    """Pools and lanes: a rectangle with the name in a band (vertical text for horizontal pools)."""
    g = _sub(parent, "g", {"class": "pool" if kind == "participant" else "lane",
                           "data-element-id": el.get("id", "") if el is not None else ""})
    line = {"fill": "none", "stroke": _INK, "stroke-width": 1.5 if kind == "participant" else 1}
    _sub(g, "rect", {"x": box.x, "y": box.y, "width": box.w, "height": box.h, **line})
    name = (el.get("name") or "") if el is not None else ""
    if horizontal:
        _sub(g, "path", {"d": f"M{_n(box.x + _POOL_BAND)} {_n(box.y)} v{_n(box.h)}", **line})
        lines, size = _fitted(name, box.h - 10, _POOL_BAND - 4)
        _text(g, lines, box.x + _POOL_BAND / 2, box.cy, size=size, rotate=True)
    else:
        _sub(g, "path", {"d": f"M{_n(box.x)} {_n(box.y + _POOL_BAND)} h{_n(box.w)}", **line})
        lines, size = _fitted(name, box.w - 10, _POOL_BAND - 4)
        _text(g, lines, box.cx, box.y + _POOL_BAND / 2, size=size)


def _defs(svg: etree._Element, prefix: str) -> None:
    """Arrowheads as markers, so every flow gets a correctly oriented head for free."""
    defs = _sub(svg, "defs")
    specs = {
        "arrow": ("M0 0 L10 5 L0 10 Z", {"fill": _EDGE}, "10"),
        "open-arrow": ("M0 0 L10 5 L0 10", {"fill": "none", "stroke": _EDGE, "stroke-width": 1.2}, "10"),
        "default": ("M3 9 L7 1", {"fill": "none", "stroke": _EDGE, "stroke-width": 1.5}, "-3"),
        "condition": ("M0 5 L5 1 L10 5 L5 9 Z", {"fill": "#ffffff", "stroke": _EDGE, "stroke-width": 1}, "0"),
        "dot": ("M5 2 A3 3 0 1 1 4.99 2 Z", {"fill": "#ffffff", "stroke": _EDGE, "stroke-width": 1}, "5"),
    }
    for name, (d, style, ref_x) in specs.items():
        marker = _sub(defs, "marker", {"id": f"{prefix}-{name}", "viewBox": "0 0 10 10", "refX": ref_x,
                                       "refY": 5, "markerWidth": 10, "markerHeight": 10,
                                       "markerUnits": "userSpaceOnUse", "orient": "auto"})
        _sub(marker, "path", {"d": d, **style})


def _edge(parent: etree._Element, el: etree._Element | None, edge: etree._Element,
          points: list[tuple[float, float]], prefix: str, model: Mapping[str, etree._Element]) -> None:
    kind = etree.QName(el).localname if el is not None else "unknown"
    g = _sub(parent, "g", {"class": f"edge edge-{kind}", "data-element-id": edge.get("bpmnElement", "")})
    attrs: dict[str, object] = {"points": " ".join(f"{_n(x)},{_n(y)}" for x, y in points), "fill": "none",
                                "stroke": _EDGE, "stroke-width": 1.5, "stroke-linejoin": "round"}
    if kind == "sequenceFlow" and el is not None:
        attrs["marker-end"] = f"url(#{prefix}-arrow)"
        source = model.get(el.get("sourceRef", ""))
        if source is not None and source.get("default") == el.get("id"):
            attrs["marker-start"] = f"url(#{prefix}-default)"
        elif el.find(_q(BPMN_NS, "conditionExpression")) is not None and source is not None \
                and etree.QName(source).localname not in _GATEWAYS:
            attrs["marker-start"] = f"url(#{prefix}-condition)"
    elif kind == "messageFlow":
        attrs.update({"stroke-dasharray": "6 4", "marker-start": f"url(#{prefix}-dot)",
                      "marker-end": f"url(#{prefix}-open-arrow)"})
    else:  # associations and data associations
        attrs.update({"stroke-dasharray": "2 3", "stroke-width": 1.2})
        if kind != "association" or (el is not None and el.get("associationDirection") in {"One", "Both"}):
            attrs["marker-end"] = f"url(#{prefix}-open-arrow)"
    name = (el.get("name") or "").strip() if el is not None else ""
    if name:
        _sub(g, "title", None, name)
    _sub(g, "polyline", attrs)
    if name:
        label = _bounds(edge.find(_q(BPMNDI_NS, "BPMNLabel")))
        size = _FONT_SIZE - 1
        if label is not None:
            _text(g, _wrap(name, max(label.w * 1.25, 90.0), size), label.cx, label.y - 2, size=size,
                  valign="top")
        else:
            # Beside the longest segment: short end segments usually run into shapes.
            (x1, y1), (x2, y2) = max(itertools.pairwise(points), key=lambda s: math.dist(*s))
            lines = _wrap(name, 100, size)
            if abs(x2 - x1) >= abs(y2 - y1):
                _text(g, lines, (x1 + x2) / 2, min(y1, y2) - 4 - len(lines) * size * _LINE_HEIGHT, size=size,
                      valign="top")
            else:
                _text(g, lines, max(x1, x2) + 6, (y1 + y2) / 2, size=size, anchor="start")


def _name_of(model: Mapping[str, etree._Element], element_id: str) -> str:
    el = model.get(element_id)
    return ((el.get("name") or "").strip() if el is not None else "") or element_id


def _named_for_the_reader(root: etree._Element, variables: Mapping[str, Any] | None) -> None:
    """Every name in the reader's language (the BPMN files' Russian names are in the catalogs), and,
    for an instance, its placeholders filled («… на I квартал 2027 г.», not «… на {quarter}»)."""
    for el in root.iter(_q(BPMN_NS, "*")):
        name = el.get("name")
        if not name or not name.strip():
            continue
        shown = gettext(name.strip())
        if variables is not None and "{" in shown:
            with contextlib.suppress(ExpressionError):  # a name that is not a template stays as it is
                shown = words.quarters_in(render(shown, dict(variables)))
        el.set("name", shown)


def render_svg(xml: bytes, *, states: Mapping[str, str] | None = None, legend: bool = True,
               title: str | None = None, variables: Mapping[str, Any] | None = None) -> str:
    """Draw a BPMN 2.0 file's diagram as a self-contained, scalable SVG string.

    ``states`` maps flow node ids to ``done``/``current``/``overdue``; unlisted nodes are neutral.
    Raises ``ValueError`` for malformed XML, DTD-bearing files, files without diagram information
    and unknown state names. The result is a ``SafeString`` (a ``str``): it was produced by an XML
    serialiser from escaped data, so templates may insert it as is.
    """
    states = dict(states or {})
    if bad := {s for s in states.values() if s not in STATES}:
        raise ValueError(f"Unknown diagram state(s) {sorted(bad)}; expected one of {STATES}.")
    root = _parse(xml)
    _named_for_the_reader(root, variables)
    model = {el.get("id"): el for el in root.iter(_q(BPMN_NS, "*")) if el.get("id")}
    plane = root.find(f".//{_q(BPMNDI_NS, 'BPMNPlane')}")
    shapes = list(plane.iter(_q(BPMNDI_NS, "BPMNShape"))) if plane is not None else []
    edges = list(plane.iter(_q(BPMNDI_NS, "BPMNEdge"))) if plane is not None else []
    if not shapes and not edges:
        raise ValueError("The BPMN file has no diagram information (bpmndi:BPMNShape / BPMNEdge); "
                         "open and save it in a BPMN modeller to add the layout.")

    # Ids (markers, title, desc) must not clash when several diagrams share one HTML page.
    digest = hashlib.sha256(xml if isinstance(xml, bytes) else xml.encode())
    digest.update(repr((sorted(states.items()), title)).encode())
    prefix = "bpmn-" + digest.hexdigest()[:10]
    svg = etree.Element(_q(SVG_NS, "svg"), nsmap={None: SVG_NS})
    layers = {name: etree.Element(_q(SVG_NS, "g"), {"class": name})
              for name in ("containers", "subprocesses", "edges", "nodes", "boundary")}
    xs: list[float] = []
    ys: list[float] = []
    for shape in shapes:
        box = _bounds(shape)
        if box is None:
            continue
        ref = shape.get("bpmnElement", "")
        el = model.get(ref)
        kind = etree.QName(el).localname if el is not None else "unknown"
        label = _bounds(shape.find(_q(BPMNDI_NS, "BPMNLabel")))
        if label is None and kind in _EVENTS | _GATEWAYS and (el.get("name") or "").strip():
            label = _default_label(el.get("name", "").strip(), box)  # count it in the view box
        for b in (box, label):
            if b is not None:
                xs.extend((b.x, b.x + b.w))
                ys.extend((b.y, b.y + b.h))
        if kind in {"participant", "lane"}:
            _container(layers["containers"], el, kind, box, shape.get("isHorizontal", "true") != "false")
            continue
        expanded = kind in _SUBPROCESSES and shape.get("isExpanded") == "true"
        layer = "boundary" if kind == "boundaryEvent" else "subprocesses" if expanded else "nodes"
        _node(layers[layer], ref, el, kind, box, label, states.get(ref, "neutral"), expanded)
    for edge in edges:
        points: list[tuple[float, float]] = []
        for wp in edge.iter(_q(DI_NS, "waypoint")):
            try:
                x, y = float(wp.get("x", "")), float(wp.get("y", ""))
            except ValueError:
                continue
            if math.isfinite(x) and math.isfinite(y):
                points.append((x, y))
        if len(points) >= 2:
            xs.extend(p[0] for p in points)
            ys.extend(p[1] for p in points)
            _edge(layers["edges"], model.get(edge.get("bpmnElement", "")), edge, points, prefix, model)
    if not xs:
        raise ValueError("The BPMN file's diagram information has no usable shape bounds or waypoints.")

    # Badges and outside labels overhang the shapes a little: the padding absorbs that.
    min_x, min_y, max_x, max_y = min(xs) - _PAD, min(ys) - _PAD, max(xs) + _PAD, max(ys) + _PAD
    process = root.find(_q(BPMN_NS, "process"))
    heading = title or (process.get("name") if process is not None else None) or gettext("Схема процесса")
    _sub(svg, "title", {"id": f"{prefix}-title"}, heading)  # first child: what assistive tech reads
    labels = _legend_labels()
    # role="img" hides the drawing from screen readers, so the states are also spelled out in <desc>.
    described = [f"{labels[s]}: " + ", ".join(_name_of(model, i) for i, st in states.items() if st == s)
                 for s in STATES if s in states.values()]
    if described:
        _sub(svg, "desc", {"id": f"{prefix}-desc"}, "; ".join(described))
    _defs(svg, prefix)
    for layer in layers.values():
        if len(layer):
            svg.append(layer)
    if legend:
        g = _sub(svg, "g", {"class": "legend"})
        x, y = min_x + _PAD, max_y + 4
        for state in STATES:
            stroke, fill, width = _PALETTE[state]
            item = _sub(g, "g", {"class": f"legend-item legend-{state}"})
            _sub(item, "rect", {"x": x, "y": y, "width": 30, "height": 20, "rx": 5, "fill": fill,
                                "stroke": stroke, "stroke-width": width})
            _badge(item, state, x + 30, y)
            _text(item, [labels[state]], x + 46, y + 10, anchor="start")
            x += 46 + len(labels[state]) * _FONT_SIZE * _CHAR_WIDTH + 28
        max_x = max(max_x, x)
        max_y += 4 + 20 + _PAD
    width, height = max_x - min_x, max_y - min_y
    labelled_by = f"{prefix}-title" + (f" {prefix}-desc" if described else "")
    for key, value in {"viewBox": _p(min_x, min_y, width, height), "width": "100%",
                       "role": "img", "aria-labelledby": labelled_by,
                       "class": "bpmn-diagram", "style": f"max-width:{_n(width)}px;height:auto",
                       "font-family": _FONT, "preserveAspectRatio": "xMinYMin meet"}.items():
        svg.set(key, value)
    return mark_safe(etree.tostring(svg, encoding="unicode"))  # noqa: S308 - serialised by lxml, text escaped


def svg_or_none(
    xml: str, states: Mapping[str, str] | None = None, variables: Mapping[str, Any] | None = None
) -> str | None:
    """The diagram of a stored version for a page (an instance's with its ``variables``), or None
    when its file has no usable diagram."""
    try:
        return render_svg(xml.encode(), states=states or {}, variables=variables)
    except ValueError:
        return None
