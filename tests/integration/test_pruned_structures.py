"""The pruned state on the BPMN structures that read the task tree: a dossier stored and
restored before each action (its tree pruned at every save) goes exactly where the same
workflow kept whole in memory goes, on sub-processes, call activities, multi-instance and
looping tasks, inclusive gateways, event-based gateways and boundary timers.

One structure goes elsewhere, and rightly: a parallel join inside a loop. On the whole tree,
from the second pass, SpiffWorkflow 3.2 lets the join fire on its first branch (a join task of
the previous pass, cancelled there, still counts for the other branch); pruned, that task is
gone and the join waits for both branches, as BPMN says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time

from engine.bpmn import spiff

Action = tuple[str, dict[str, Any] | None]


def flow(flow_id: str, source: str, target: str, condition: str = "") -> str:
    expression = (
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    )
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f"{expression}</bpmn:sequenceFlow>"
    )


def node(
    kind: str,
    element: str,
    incoming: tuple[str, ...] = (),
    outgoing: tuple[str, ...] = (),
    inner: str = "",
    attributes: str = "",
) -> str:
    flows = "".join(f"<bpmn:incoming>{name}</bpmn:incoming>" for name in incoming)
    flows += "".join(f"<bpmn:outgoing>{name}</bpmn:outgoing>" for name in outgoing)
    return f'<bpmn:{kind} id="{element}" name="{element}" {attributes}>{flows}{inner}</bpmn:{kind}>'


def script(element: str, incoming: str, outgoing: str, code: str) -> str:
    return node(
        "scriptTask", element, (incoming,), (outgoing,), f"<bpmn:script>{code}</bpmn:script>"
    )


def user(element: str, incoming: tuple[str, ...], outgoing: str, inner: str = "") -> str:
    return node("userTask", element, incoming, (outgoing,), inner)


def timer(duration: str) -> str:
    return (
        "<bpmn:timerEventDefinition>"
        f'<bpmn:timeDuration>"{duration}"</bpmn:timeDuration></bpmn:timerEventDefinition>'
    )


def process(process_id: str, *parts: str) -> str:
    return (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        f'id="d_{process_id}" targetNamespace="http://example.org/inventaire">'
        f'<bpmn:process id="{process_id}" isExecutable="true">{"".join(parts)}</bpmn:process>'
        "</bpmn:definitions>"
    )


START = node("startEvent", "debut", outgoing=("f0",))
COUNT_FROM_ZERO = script("init", "f0", "f1", "tours = 0")

SUBPROCESS_IN_A_LOOP = process(
    "p",
    START,
    COUNT_FROM_ZERO,
    node("exclusiveGateway", "entree", ("f1", "f4"), ("f2",)),
    '<bpmn:subProcess id="sous" name="sous"><bpmn:incoming>f2</bpmn:incoming>'
    "<bpmn:outgoing>f3</bpmn:outgoing>"
    + node("startEvent", "s_debut", outgoing=("s1",))
    + user("s_tache", ("s1",), "s2")
    + script("s_compter", "s2", "s3", "tours = tours + 1")
    + node("endEvent", "s_fin", ("s3",))
    + flow("s1", "s_debut", "s_tache")
    + flow("s2", "s_tache", "s_compter")
    + flow("s3", "s_compter", "s_fin")
    + "</bpmn:subProcess>",
    '<bpmn:boundaryEvent id="rappel" name="rappel" attachedToRef="sous" cancelActivity="false">'
    f"<bpmn:outgoing>r1</bpmn:outgoing>{timer('PT1H')}</bpmn:boundaryEvent>",
    node("endEvent", "rappel_fin", ("r1",)),
    node("exclusiveGateway", "encore", ("f3",), ("f4", "f5"), attributes='default="f5"'),
    user("apres", ("f5",), "f6"),
    node("endEvent", "fin", ("f6",)),
    flow("f0", "debut", "init"),
    flow("f1", "init", "entree"),
    flow("f2", "entree", "sous"),
    flow("f3", "sous", "encore"),
    flow("f4", "encore", "entree", "tours &lt; 3"),
    flow("f5", "encore", "apres"),
    flow("f6", "apres", "fin"),
    flow("r1", "rappel", "rappel_fin"),
)
CALLED = process(
    "q",
    node("startEvent", "q_debut", outgoing=("q0",)),
    user("q1", ("q0",), "q_1"),
    user("q2", ("q_1",), "q_2"),
    node("endEvent", "q_fin", ("q_2",)),
    flow("q0", "q_debut", "q1"),
    flow("q_1", "q1", "q2"),
    flow("q_2", "q2", "q_fin"),
)
CALL_ACTIVITY = process(
    "p",
    START,
    node("callActivity", "appel", ("f0",), ("f1",), attributes='calledElement="q"'),
    user("u", ("f1",), "f2"),
    node("endEvent", "fin", ("f2",)),
    flow("f0", "debut", "appel"),
    flow("f1", "appel", "u"),
    flow("f2", "u", "fin"),
)
MULTI_INSTANCE = process(
    "p",
    START,
    user(
        "parallele",
        ("f0",),
        "f1",
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics>",
    ),
    user(
        "sequentielle",
        ("f1",),
        "f2",
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true">'
        "<bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>",
    ),
    user("u", ("f2",), "f3"),
    node("endEvent", "fin", ("f3",)),
    flow("f0", "debut", "parallele"),
    flow("f1", "parallele", "sequentielle"),
    flow("f2", "sequentielle", "u"),
    flow("f3", "u", "fin"),
)
STANDARD_LOOP = process(
    "p",
    START,
    script("init", "f0", "f1", "n = 0"),
    user(
        "boucle",
        ("f1",),
        "f2",
        "<bpmn:standardLoopCharacteristics><bpmn:loopCondition>n &lt; 3</bpmn:loopCondition>"
        "</bpmn:standardLoopCharacteristics>",
    ),
    user("u", ("f2",), "f3"),
    node("endEvent", "fin", ("f3",)),
    flow("f0", "debut", "init"),
    flow("f1", "init", "boucle"),
    flow("f2", "boucle", "u"),
    flow("f3", "u", "fin"),
)
INCLUSIVE = process(
    "p",
    START,
    script("init", "f0", "f1", "x = 1\ny = 1\nz = 0"),
    node("inclusiveGateway", "partage", ("f1",), ("f2", "f3", "f4")),
    user("a", ("f2",), "f5"),
    user("b", ("f3",), "f6"),
    user("c", ("f4",), "f7"),
    node("inclusiveGateway", "jonction", ("f5", "f6", "f7"), ("f8",)),
    user("u", ("f8",), "f9"),
    node("endEvent", "fin", ("f9",)),
    flow("f0", "debut", "init"),
    flow("f1", "init", "partage"),
    flow("f2", "partage", "a", "x == 1"),
    flow("f3", "partage", "b", "y == 1"),
    flow("f4", "partage", "c", "z == 1"),
    flow("f5", "a", "jonction"),
    flow("f6", "b", "jonction"),
    flow("f7", "c", "jonction"),
    flow("f8", "jonction", "u"),
    flow("f9", "u", "fin"),
)
EVENT_GATEWAY_IN_A_LOOP = process(
    "p",
    START,
    COUNT_FROM_ZERO,
    node("exclusiveGateway", "entree", ("f1", "f8"), ("f2",)),
    node("eventBasedGateway", "attente", ("f2",), ("f3", "f4")),
    node("intermediateCatchEvent", "court", ("f3",), ("f5",), timer("PT1H")),
    node("intermediateCatchEvent", "long", ("f4",), ("f6",), timer("PT2H")),
    user("u", ("f5", "f6"), "f7"),
    node("exclusiveGateway", "encore", ("f7",), ("f8", "f9"), attributes='default="f9"'),
    node("endEvent", "fin", ("f9",)),
    flow("f0", "debut", "init"),
    flow("f1", "init", "entree"),
    flow("f2", "entree", "attente"),
    flow("f3", "attente", "court"),
    flow("f4", "attente", "long"),
    flow("f5", "court", "u"),
    flow("f6", "long", "u"),
    flow("f7", "u", "encore"),
    flow("f8", "encore", "entree", "encore == 'oui'"),
    flow("f9", "encore", "fin"),
)
PARALLEL_IN_A_LOOP = process(
    "p",
    START,
    COUNT_FROM_ZERO,
    node("exclusiveGateway", "entree", ("f1", "f9"), ("f2",)),
    node("parallelGateway", "partage", ("f2",), ("f3", "f4")),
    user("a", ("f3",), "f5"),
    user("b", ("f4",), "f6"),
    node("parallelGateway", "jonction", ("f5", "f6"), ("f7",)),
    script("compter", "f7", "f8", "tours = tours + 1"),
    node("exclusiveGateway", "encore", ("f8",), ("f9", "f10"), attributes='default="f10"'),
    node("endEvent", "fin", ("f10",)),
    flow("f0", "debut", "init"),
    flow("f1", "init", "entree"),
    flow("f2", "entree", "partage"),
    flow("f3", "partage", "a"),
    flow("f4", "partage", "b"),
    flow("f5", "a", "jonction"),
    flow("f6", "b", "jonction"),
    flow("f7", "jonction", "compter"),
    flow("f8", "compter", "encore"),
    flow("f9", "encore", "entree", "tours &lt; 3"),
    flow("f10", "encore", "fin"),
)

# (diagrams, actions): complete the ready task of that element with that data, fire the timer
# "@element", or let "+minutes" pass.
STRUCTURES: dict[str, tuple[dict[str, str], list[Action]]] = {
    "subprocess_loop_with_boundary_timer": (
        {"p.bpmn": SUBPROCESS_IN_A_LOOP},
        [
            ("s_tache", {"v": 1}),
            ("@rappel", None),
            ("s_tache", {"v": 2}),
            ("@rappel", None),
            ("s_tache", {"v": 3}),
            ("apres", {}),
        ],
    ),
    "call_activity": (
        {"p.bpmn": CALL_ACTIVITY, "q.bpmn": CALLED},
        [("q1", {"a": 1}), ("q2", {"b": 2}), ("u", {"c": 3})],
    ),
    "multi_instance": (
        {"p.bpmn": MULTI_INSTANCE},
        [
            ("parallele", {"p1": 1}),
            ("parallele", {"p2": 2}),
            ("parallele", {"p3": 3}),
            ("sequentielle", {"s1": 1}),
            ("sequentielle", {"s2": 2}),
            ("u", {}),
        ],
    ),
    "standard_loop": (
        {"p.bpmn": STANDARD_LOOP},
        [("boucle", {"n": 1}), ("boucle", {"n": 2}), ("boucle", {"n": 3}), ("u", {})],
    ),
    "inclusive_gateways": ({"p.bpmn": INCLUSIVE}, [("b", {"bb": 1}), ("a", {"aa": 1}), ("u", {})]),
    "event_gateway_loop": (
        {"p.bpmn": EVENT_GATEWAY_IN_A_LOOP},
        [("+90", None), ("u", {"encore": "oui"}), ("+150", None), ("u", {"encore": "non"})],
    ),
}


def act(workflow: Any, action: Action) -> None:
    element, data = action
    if element.startswith("+"):
        with freeze_time(datetime.now(UTC) + timedelta(minutes=int(element[1:]))):
            workflow.refresh_timers()
            spiff.run_engine(workflow)
    elif element.startswith("@"):
        due = [timer for timer in spiff.waiting_timers(workflow) if timer.spec_id == element[1:]]
        assert due, action
        spiff.fire_timer(workflow, due[0].task_id)
        spiff.run_engine(workflow)
    else:
        ready = [
            task for task in spiff.ready_human_tasks(workflow) if spiff.spec_id(task) == element
        ]
        assert ready, (action, [spiff.spec_id(task) for task in spiff.ready_human_tasks(workflow)])
        spiff.complete_human_task(ready[0], data or {})
        spiff.run_engine(workflow)


def seen(workflow: Any) -> dict[str, Any]:
    """What the engine reads on a dossier, by element (task ids differ between two runs)."""
    end = spiff.reached_end_event(workflow)
    return {
        "ready": sorted(
            (spiff.spec_id(task), sorted(task.data.items()))
            for task in spiff.ready_human_tasks(workflow)
        ),
        "waiting": sorted(spiff.spec_id(task) for task in spiff.waiting_tasks(workflow)),
        "path": spiff.path_markers(workflow),
        "completed": spiff.is_completed(workflow),
        "data": sorted(workflow.data.items()) if spiff.is_completed(workflow) else None,
        "end": spiff.spec_id(end) if end is not None else None,
    }


def parsed_of(diagrams: dict[str, str]) -> spiff.ParsedProcess:
    return spiff.load_spec(spiff.dump_spec(spiff.parse_process(diagrams, {}, "p")))


@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_a_stored_dossier_goes_where_the_whole_tree_goes(name: str) -> None:
    diagrams, actions = STRUCTURES[name]
    parsed = parsed_of(diagrams)
    scripts = spiff.ScriptEngine()
    whole = spiff.new_workflow(parsed, scripts)
    spiff.run_engine(whole)
    stored = spiff.dump_state(whole)
    for action in actions:
        act(whole, action)
        restored = spiff.load_state(stored, parsed, scripts)
        act(restored, action)
        stored = spiff.dump_state(restored)
        assert seen(spiff.load_state(stored, parsed, scripts)) == seen(whole), action
    assert spiff.is_completed(whole)
    assert len(spiff.load_state(stored, parsed, scripts).tasks) < len(whole.tasks)


def test_a_parallel_join_in_a_loop_waits_for_both_branches_on_every_pass() -> None:
    parsed = parsed_of({"p.bpmn": PARALLEL_IN_A_LOOP})
    scripts = spiff.ScriptEngine()
    workflow = spiff.new_workflow(parsed, scripts)
    spiff.run_engine(workflow)
    for first, second in (("a", "b"), ("b", "a"), ("a", "b")):
        for element in (first, second):
            restored = spiff.load_state(spiff.dump_state(workflow), parsed, scripts)
            assert sorted(spiff.spec_id(task) for task in spiff.ready_human_tasks(restored)) == (
                ["a", "b"] if element == first else [second]
            )
            act(restored, (element, {element: 1}))
            workflow = restored
    assert spiff.is_completed(workflow)
    assert spiff.current_data(workflow)["tours"] == 3
