"""Every key the code can write into an audit row's before/after, read from the source (Python's ast).

Starts at each ``record(..., before=..., after=...)`` call under marketplace/ and follows what the value is
made of: dict literals and ``|`` merges, ``snapshot(row, FIELDS)`` (the field list through module constants
and imports), ``changed(...)``, locals (every assignment, ``x["key"] = ...``, ``x.update(...)``), the return
values of the module's own helpers and methods, dataclass defaults, a parameter through the module's calls
of its function, and comprehensions over constant strings (``{f"matches_{o}": ... for o in OUTCOMES}``).
What it cannot follow is reported as opaque with its place, so a new kind of record() cannot slip past.
"""

import ast
from dataclasses import dataclass, field
from pathlib import Path

MARKETPLACE = Path(__file__).resolve().parent.parent / "marketplace"


@dataclass
class Module:
    path: Path
    tree: ast.Module
    name: str
    constants: dict[str, ast.expr] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # local name -> (module, attr)


def load(root: Path) -> dict[str, Module]:
    modules = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = Module(path, tree, name)
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                module.constants[node.targets[0].id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                module.constants[node.target.id] = node.value
            elif isinstance(node, ast.FunctionDef):
                module.functions[node.name] = node
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = (alias.name, None)
        modules[name] = module
    return modules


class Resolver:
    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.keys: set[str] = set()
        self.opaque: list[str] = []
        self._seen: set[tuple[str, int]] = set()

    def where(self, module: Module, node: ast.AST) -> str:
        return f"{module.path}:{getattr(node, 'lineno', '?')}: {ast.unparse(node)[:80]}"

    def strings(self, module: Module, node: ast.expr, scope: ast.FunctionDef | None) -> list[str] | None:
        """A list/tuple/set of str literals, or a name/attribute/list() that leads to one."""
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            values = [self.string(module, element) for element in node.elts]
            return None if None in values else values  # type: ignore[return-value]
        if isinstance(node, ast.Dict):
            return [k.value for k in node.keys if isinstance(k, ast.Constant)]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("list", "tuple", "frozenset", "set")
            and node.args
        ):
            return self.strings(module, node.args[0], scope)
        target = self.constant(module, node)
        if target is not None:
            return self.strings(*target, None)
        return None

    def string(self, module: Module, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        target = self.constant(module, node)
        return self.string(*target) if target is not None else None

    def constant(self, module: Module, node: ast.expr) -> tuple[Module, ast.expr] | None:
        """A module-level constant named by ``node`` (NAME, imported NAME, module.NAME)."""
        if isinstance(node, ast.Name):
            if node.id in module.constants:
                return module, module.constants[node.id]
            if node.id in module.imports:
                source, attr = module.imports[node.id]
                other = self.modules.get(source)
                if other and attr in other.constants:
                    return other, other.constants[attr]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            source = module.imports.get(node.value.id)
            if source:
                name = source[0] + ("." + source[1] if source[1] else "")
                other = self.modules.get(name)
                if other and node.attr in other.constants:
                    return other, other.constants[node.attr]
        return None

    def function(self, module: Module, node: ast.expr) -> tuple[Module, ast.FunctionDef] | None:
        if isinstance(node, ast.Name):
            if node.id in module.functions:
                return module, module.functions[node.id]
            if node.id in module.imports:
                source, attr = module.imports[node.id]
                other = self.modules.get(source)
                if other and attr in other.functions:
                    return other, other.functions[attr]
        return None

    def value(self, module: Module, node: ast.expr, scope: ast.FunctionDef | None) -> None:
        """Add the keys a dict-valued expression can hold."""
        if isinstance(node, ast.Constant) and node.value is None:
            return
        if isinstance(node, ast.Dict):
            for key, val in zip(node.keys, node.values, strict=True):
                if key is None:
                    self.value(module, val, scope)
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    self.keys.add(key.value)
                else:
                    self.opaque.append(self.where(module, node))
            return
        if isinstance(node, ast.DictComp) and self.comprehension(module, node, scope):
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            self.value(module, node.left, scope)
            self.value(module, node.right, scope)
            return
        if isinstance(node, ast.BoolOp):
            for operand in node.values:
                self.value(module, operand, scope)
            return
        if isinstance(node, ast.IfExp):
            self.value(module, node.body, scope)
            self.value(module, node.orelse, scope)
            return
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "snapshot" and self._is_audit_snapshot(module, func):
                if len(node.args) < 2:
                    self.opaque.append(self.where(module, node))
                    return
                fields = self.strings(module, node.args[1], scope)
                if fields is None:
                    self.opaque.append(self.where(module, node))
                else:
                    self.keys.update(fields)
                return
            if name in ("changed", "mask_personal"):
                for arg in node.args:
                    self.value(module, arg, scope)
                return
            if name == "dict":
                for arg in node.args:
                    self.value(module, arg, scope)
                self.keys.update(kw.arg for kw in node.keywords if kw.arg)
                return
            found = self.function(module, func)
            if found is not None:
                self.returns(*found)
                return
            if isinstance(func, ast.Attribute):
                methods = [
                    m for m in self.class_members(module) if isinstance(m, ast.FunctionDef) and m.name == func.attr
                ]
                if methods:
                    for method in methods:
                        self.returns(module, method)
                    return
        if isinstance(node, ast.Attribute):
            fields = [
                m
                for m in self.class_members(module)
                if isinstance(m, ast.AnnAssign)
                and isinstance(m.target, ast.Name)
                and m.target.id == node.attr
                and m.value is not None
            ]
            if fields:
                for member in fields:
                    default = member.value
                    if isinstance(default, ast.Call):
                        factory = next((kw.value for kw in default.keywords if kw.arg == "default_factory"), None)
                        if isinstance(factory, ast.Lambda):
                            self.value(module, factory.body, scope)
                            continue
                    self.value(module, default, scope)  # type: ignore[arg-type]
                return
        if isinstance(node, ast.Name) and scope is not None:
            self.local(module, node.id, scope)
            return
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and scope is not None:
            # old, new = changed(...); old[0]-style access is not used: take the whole local.
            self.local(module, node.value.id, scope)
            return
        self.opaque.append(self.where(module, node))

    def class_members(self, module: Module) -> list[ast.stmt]:
        return [member for node in module.tree.body if isinstance(node, ast.ClassDef) for member in node.body]

    def comprehension(self, module: Module, node: ast.DictComp, scope: ast.FunctionDef | None) -> bool:
        """{name: ... for name in FIELDS} and {f"prefix_{name}": ... for name in FIELDS} over constant strings."""
        if len(node.generators) != 1 or not isinstance(node.generators[0].target, ast.Name):
            return False
        loop, names = node.generators[0].target.id, self.strings(module, node.generators[0].iter, scope)
        if names is None:
            return False
        key = node.key
        if isinstance(key, ast.Name) and key.id == loop:
            self.keys.update(names)
            return True
        if isinstance(key, ast.JoinedStr):
            parts = key.values
            if all(
                isinstance(p, ast.Constant)
                or (isinstance(p, ast.FormattedValue) and isinstance(p.value, ast.Name) and p.value.id == loop)
                for p in parts
            ):
                for name in names:
                    self.keys.add("".join(p.value if isinstance(p, ast.Constant) else name for p in parts))
                return True
        return False

    def arguments(self, module: Module, name: str, scope: ast.FunctionDef) -> bool:
        """A parameter: what every call of the function in its module passes for it."""
        params = [a.arg for a in scope.args.posonlyargs + scope.args.args]
        found = False
        owner = enclosing_functions(module.tree)
        for call in ast.walk(module.tree):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == scope.name:
                given = [kw.value for kw in call.keywords if kw.arg == name]
                if name in params and params.index(name) < len(call.args):
                    given.append(call.args[params.index(name)])
                for value in given:
                    found = True
                    self.value(module, value, owner.get(id(call)))
        return found

    def _is_audit_snapshot(self, module: Module, func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return (
                module.imports.get("snapshot", ("", None))[0] == "marketplace.audit.services"
                or module.name == "marketplace.audit.services"
            )
        return (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and module.imports.get(func.value.id, ("", None))[0] in ("marketplace.audit.services", "marketplace.audit")
        )

    def local(self, module: Module, name: str, scope: ast.FunctionDef) -> None:
        """Everything assigned to local ``name`` in the function, and every key stored into it."""
        marker = (str(module.path) + ":" + scope.name + ":" + name, scope.lineno)
        if marker in self._seen:
            return
        self._seen.add(marker)
        found = False
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id == name and node.value is not None:
                        found = True
                        self.value(module, node.value, scope)
                    elif isinstance(target, ast.Tuple) and any(
                        isinstance(e, ast.Name) and e.id == name for e in target.elts
                    ):
                        found = True
                        value = node.value
                        if isinstance(value, ast.Tuple) and len(value.elts) == len(target.elts):
                            index = [isinstance(e, ast.Name) and e.id == name for e in target.elts].index(True)
                            self.value(module, value.elts[index], scope)
                        elif value is not None:
                            self.value(module, value, scope)
                    elif (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == name
                    ):
                        if isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
                            self.keys.add(target.slice.value)
                        else:
                            self.opaque.append(self.where(module, node))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "update"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
            ):
                for arg in node.args:
                    self.value(module, arg, scope)
                self.keys.update(kw.arg for kw in node.keywords if kw.arg)
        if not found:
            args = [a.arg for a in scope.args.args + scope.args.kwonlyargs]
            if name in args and self.arguments(module, name, scope):
                return
            if name in args:
                self.opaque.append(f"{module.path}:{scope.lineno}: parameter {name} of {scope.name}")
            else:
                self.opaque.append(f"{module.path}:{scope.lineno}: local {name} of {scope.name} never assigned")

    def returns(self, module: Module, function: ast.FunctionDef) -> None:
        marker = (str(module.path) + ":" + function.name, function.lineno)
        if marker in self._seen:
            return
        self._seen.add(marker)
        for node in ast.walk(function):
            if isinstance(node, ast.Return) and node.value is not None:
                self.value(module, node.value, function)


def enclosing_functions(tree: ast.Module) -> dict[int, ast.FunctionDef]:
    owner: dict[int, ast.FunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in ast.walk(node):
                owner.setdefault(id(child), node)  # outermost first; refined below
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in ast.walk(node):
                if child is not node:
                    current = owner.get(id(child))
                    if current is not None and current.lineno <= node.lineno:
                        owner[id(child)] = node
    return owner


def audited_keys(root: Path = MARKETPLACE) -> tuple[set[str], list[str]]:
    """The keys, and the places whose keys could not be read."""
    modules = load(root)
    resolver = Resolver(modules)
    for module in modules.values():
        owner = enclosing_functions(module.tree)
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name != "record":
                continue
            for keyword in node.keywords:
                if keyword.arg in ("before", "after"):
                    resolver.value(module, keyword.value, owner.get(id(node)))
    return resolver.keys, resolver.opaque
