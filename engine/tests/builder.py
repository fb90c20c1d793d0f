"""Small BPMN files for tests, written compactly and laid out automatically.

Each test process is still a real BPMN 2.0 file with diagram information, deployed through the
same ``deploy`` as production files; this only spares the tests hundreds of lines of XML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from xml.sax.saxutils import escape, quoteattr

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://soglasie.test">\n'
)

def choice_form(field: str, label: str, options: dict[str, str], comment_when: str) -> str:
    """A required choice (``options``: id → label) and a comment required when ``comment_when`` is chosen."""
    values = "".join(f'<camunda:value id="{id}" name="{name}"/>' for id, name in options.items())
    return f"""
<camunda:formField id="{field}" label="{label}" type="enum">
  {values}
  <camunda:validation><camunda:constraint name="required"/></camunda:validation>
</camunda:formField>
<camunda:formField id="comment" label="Комментарий" type="textarea">
  <camunda:validation><camunda:constraint name="required_if" config="{field} == '{comment_when}'"/></camunda:validation>
</camunda:formField>"""


DECISION_FORM = choice_form("decision", "Решение", {"approve": "Согласовать", "reject": "Не согласовать"}, "reject")

DOCUMENT_FORM = """
<camunda:formField id="document_url" label="Ссылка на документ" type="url" defaultValue="document_url">
  <camunda:validation><camunda:constraint name="required"/></camunda:validation>
</camunda:formField>
<camunda:formField id="comment" label="Комментарий" type="textarea"/>"""


def props(**values: str) -> str:
    items = "".join(f'<camunda:property name="{k}" value={quoteattr(v)}/>' for k, v in values.items())
    return f"<camunda:properties>{items}</camunda:properties>"


def timer_definition(duration: str) -> str:
    return (
        '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'
        f"{duration}</bpmn:timeDuration></bpmn:timerEventDefinition>"
    )


@dataclass
class Flow:
    source: str
    target: str
    condition: str | None = None
    id: str = ""


@dataclass
class Process:
    key: str
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    nodes: list[tuple[str, str, str]] = field(default_factory=list)  # (id, xml, kind)
    flows: list[Flow] = field(default_factory=list)

    def node(self, id: str, xml: str, kind: str) -> Process:
        """Add an element (``kind``: event, task or gateway, for the layout); every element method ends here."""
        self.nodes.append((id, xml, kind))
        return self

    def start(self, id: str = "start") -> Process:
        return self.node(id, f'<bpmn:startEvent id="{id}"/>', "event")

    def end(self, id: str = "end", outcome: str | None = None) -> Process:
        ext = f"<bpmn:extensionElements>{props(outcome=outcome)}</bpmn:extensionElements>" if outcome else ""
        return self.node(id, f'<bpmn:endEvent id="{id}">{ext}</bpmn:endEvent>', "event")

    def user(self, id: str, title: str, assignee: str, form: str = DOCUMENT_FORM, **properties: str) -> Process:
        ext = f"<camunda:formData>{form}</camunda:formData>" if form else ""
        if properties:
            ext += props(**properties)
        xml = (
            f"<bpmn:userTask id={quoteattr(id)} name={quoteattr(title)} camunda:assignee={quoteattr(assignee)}>"
            f"<bpmn:extensionElements>{ext}</bpmn:extensionElements></bpmn:userTask>"
        )
        return self.node(id, xml, "task")

    def service(self, id: str, topic: str) -> Process:
        return self.node(id, f'<bpmn:serviceTask id="{id}" camunda:type="external" camunda:topic="{topic}"/>', "task")

    def gateway(self, id: str, kind: str = "exclusive") -> Process:
        return self.node(id, f'<bpmn:{kind}Gateway id="{id}"/>', "gateway")

    def boundary_timer(
        self, id: str, attached_to: str, duration: str, *, interrupting: bool = False, **properties: str
    ) -> Process:
        ext = f"<bpmn:extensionElements>{props(**properties)}</bpmn:extensionElements>" if properties else ""
        cancel = "true" if interrupting else "false"
        xml = (
            f'<bpmn:boundaryEvent id="{id}" attachedToRef="{attached_to}" cancelActivity="{cancel}">{ext}'
            f"{timer_definition(duration)}</bpmn:boundaryEvent>"
        )
        return self.node(id, xml, "event")

    def timer(self, id: str, duration: str) -> Process:
        xml = f'<bpmn:intermediateCatchEvent id="{id}">{timer_definition(duration)}</bpmn:intermediateCatchEvent>'
        return self.node(id, xml, "event")

    def flow(self, source: str, target: str, condition: str | None = None) -> Process:
        self.flows.append(Flow(source, target, condition, id=f"f{len(self.flows) + 1}"))
        return self

    def chain(self, *ids: str) -> Process:
        for a, b in pairwise(ids):
            self.flow(a, b)
        return self

    def xml(self) -> bytes:
        incoming: dict[str, list[str]] = {}
        outgoing: dict[str, list[str]] = {}
        for f in self.flows:
            outgoing.setdefault(f.source, []).append(f.id)
            incoming.setdefault(f.target, []).append(f.id)
        body = []
        for node_id, xml, _kind in self.nodes:
            refs = "".join(f"<bpmn:incoming>{i}</bpmn:incoming>" for i in incoming.get(node_id, []))
            refs += "".join(f"<bpmn:outgoing>{o}</bpmn:outgoing>" for o in outgoing.get(node_id, []))
            if xml.endswith("/>"):
                tag = xml.split()[0][1:]
                xml = xml[:-2] + f">{refs}</{tag}>"
            else:
                close = xml.rindex("</")
                xml = xml[:close] + refs + xml[close:]
            body.append(xml)
        for f in self.flows:
            cond = (
                f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(f.condition)}'
                "</bpmn:conditionExpression>"
                if f.condition
                else ""
            )
            body.append(
                f'<bpmn:sequenceFlow id="{f.id}" sourceRef="{f.source}" targetRef="{f.target}">{cond}'
                "</bpmn:sequenceFlow>"
            )
        ext = f"<bpmn:extensionElements>{props(**self.properties)}</bpmn:extensionElements>" if self.properties else ""
        shapes, centres = [], {}
        for index, (node_id, _xml, kind) in enumerate(self.nodes):
            x, y = 100 + 160 * index, 100
            w, h = {"event": (36, 36), "gateway": (50, 50), "task": (100, 80)}[kind]
            if "attachedToRef" in _xml:
                target = _xml.split('attachedToRef="')[1].split('"')[0]
                tx, ty = centres[target]
                x, y = tx + 20, ty + 22
            shapes.append(
                f'<bpmndi:BPMNShape id="{node_id}_di" bpmnElement="{node_id}">'
                f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>'
            )
            centres[node_id] = (x + w // 2, y + h // 2)
        for f in self.flows:
            (x1, y1), (x2, y2) = centres[f.source], centres[f.target]
            shapes.append(
                f'<bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}"><di:waypoint x="{x1}" y="{y1}"/>'
                f'<di:waypoint x="{x2}" y="{y2}"/></bpmndi:BPMNEdge>'
            )
        return (
            HEADER
            + f'<bpmn:process id="{self.key}" name={quoteattr(self.name)} isExecutable="true">{ext}'
            + "".join(body)
            + "</bpmn:process>"
            + f'<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="{self.key}">'
            + "".join(shapes)
            + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>"
        ).encode()
