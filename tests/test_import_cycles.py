"""The package's import graph has no cycle: a module imports only what stands below it.

The graph is grimp's (import-linter's own), `TYPE_CHECKING` imports included, so a cycle
hidden behind a type-only import counts too. Each cycle is reported as the modules that
import one another and one loop through them, so the message says where to cut.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

import grimp

PACKAGE = "reconciler"


def import_cycles(imports: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """The sets of modules that import one another (strongly connected components of more
    than one module, or a module importing itself), sorted by their smallest member."""
    graph = {module: sorted(set(targets)) for module, targets in imports.items()}
    for targets in list(graph.values()):
        for target in targets:
            graph.setdefault(target, [])
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in order:
            continue
        # Tarjan's algorithm, iteratively: (module, index of its next import to visit).
        work = [(root, 0)]
        while work:
            module, position = work.pop()
            if position == 0:
                order[module] = low[module] = len(order)
                stack.append(module)
                on_stack.add(module)
            targets = graph[module]
            if position < len(targets):
                work.append((module, position + 1))
                target = targets[position]
                if target not in order:
                    work.append((target, 0))
                elif target in on_stack:
                    low[module] = min(low[module], order[target])
                continue
            if low[module] == order[module]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                if len(component) > 1 or module in graph[module]:
                    found.append(frozenset(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
    return sorted(found, key=min)


def loop_through(component: frozenset[str], imports: Mapping[str, Iterable[str]]) -> list[str]:
    """One shortest import loop from the component's smallest module back to itself."""
    start = min(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for target in sorted(imports.get(module, ())):
            if target not in component:
                continue
            if target == start:
                path = [module]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = module
                queue.append(target)
    raise ValueError(f"{start} is in no loop of {sorted(component)}")


def describe(components: Iterable[frozenset[str]], imports: Mapping[str, Iterable[str]]) -> str:
    """One line per cycle: how many modules, which, and one loop through them."""
    lines = []
    for component in components:
        loop = " -> ".join(loop_through(component, imports))
        if len(component) == 1:
            lines.append(f"{min(component)} imports itself ({loop})")
        else:
            members = ", ".join(sorted(component))
            lines.append(f"{len(component)} modules import each other: {members} (e.g. {loop})")
    return "\n".join(lines)


def package_imports() -> dict[str, set[str]]:
    """Every module of the package -> the modules of the package it imports."""
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    inside = {module for module in graph.modules if module.split(".")[0] == PACKAGE}
    return {module: graph.find_modules_directly_imported_by(module) & inside for module in inside}


def test_the_package_has_no_import_cycle() -> None:
    imports = package_imports()
    cycles = import_cycles(imports)
    assert cycles == [], "import cycles in the package:\n" + describe(cycles, imports)


def test_each_cycle_is_found_with_a_loop_through_it() -> None:
    imports = {
        "p.a": {"p.b"},
        "p.b": {"p.c", "p.x"},
        "p.c": {"p.a"},
        "p.d": {"p.e"},
        "p.e": {"p.d"},
        "p.x": set(),
        "p.self": {"p.self"},
    }
    cycles = import_cycles(imports)
    assert cycles == [
        frozenset({"p.a", "p.b", "p.c"}),
        frozenset({"p.d", "p.e"}),
        frozenset({"p.self"}),
    ]
    assert describe(cycles, imports) == (
        "3 modules import each other: p.a, p.b, p.c (e.g. p.a -> p.b -> p.c -> p.a)\n"
        "2 modules import each other: p.d, p.e (e.g. p.d -> p.e -> p.d)\n"
        "p.self imports itself (p.self -> p.self)"
    )


def test_a_layered_graph_has_no_cycle() -> None:
    assert import_cycles({"p.top": {"p.mid", "p.ground"}, "p.mid": {"p.ground"}}) == []


def test_the_loop_shown_is_a_shortest_one() -> None:
    imports = {"p.a": {"p.b", "p.c"}, "p.b": {"p.c"}, "p.c": {"p.a"}}
    assert loop_through(frozenset(imports), imports) == ["p.a", "p.c", "p.a"]
