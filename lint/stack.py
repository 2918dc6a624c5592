"""Load a recipe (or a lone compose file) into a merged, interpolated Stack.

env file -> interpolation -> positioned documents -> long forms -> merge as docker does.
Problems in the input (bad YAML, a file that is not compose) are collected, never raised.
"""

from __future__ import annotations

import os

from compose_policy.discover import Target, _base_file, discover, looks_like_compose_name
from compose_policy.envfile import EnvFile, read_env_file
from compose_policy.errors import InputError
from compose_policy.interpolate import Interpolator
from compose_policy.merge import merge_services
from compose_policy.model import Mapping, Position
from compose_policy.normalize import normalize_service
from compose_policy.readfile import COMPOSE_FILE_LIMIT, STACK_TEXT_LIMIT, UnreadableFile, read_text
from compose_policy.record import Record
from compose_policy.validate import validate_document, version_mismatches
from compose_policy.yamlload import Document, Problem, load_document

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Dict, List, Optional, Sequence as Seq

STACK_PLACEHOLDER = "stack"


class LoadOptions(Record):
    _fields = ("compose_files", "env_file")

    def __init__(self, compose_files: Seq[str] = (), env_file: Optional[str] = None):
        self.compose_files = compose_files  # explicit file set, relative to the recipe
        self.env_file = env_file


class Service(Record):
    _fields = ("name", "node", "stack")
    _hidden = ("stack",)

    def __init__(self, name: str, node: Mapping, stack: "Stack"):
        self.name = name
        self.node = node
        self.stack = stack

    def get(self, *path: str):
        return self.node.get(*path)

    def value(self, *path: str, default=None):
        return self.node.value(*path, default=default)

    @property
    def pos(self) -> Position:
        return self.node.pos

    @property
    def extension(self) -> Dict:
        """The service's ``x-compose-policy`` settings (memory-heavy, ignore, ...)."""
        value = self.node.value("x-compose-policy")
        return value if isinstance(value, dict) else {}


class Stack(Record):
    _fields = ("target", "name", "stack_name", "file_set", "env", "env_sources", "documents", "texts",
               "problems", "services", "is_coopcloud", "valid")

    def __init__(self, target: Target, name: str, stack_name: str, file_set: List[str], env: Dict[str, str],
                 env_sources: Dict[str, Position], documents: Dict[str, Document], texts: Dict[str, str],
                 problems: List[Problem], services: Optional[Dict[str, Service]] = None,
                 is_coopcloud: bool = False, valid: bool = True):
        self.target = target
        self.name = name  # the recipe name, or the file path for a lone file
        self.stack_name = stack_name  # what STACK_NAME interpolated to
        self.file_set = file_set
        self.env = env
        self.env_sources = env_sources
        self.documents = documents
        self.texts = texts
        self.problems = problems
        self.services: Dict[str, Service] = {} if services is None else services
        self.is_coopcloud = is_coopcloud
        self.valid = valid  # False when a file of the set could not be read as compose

    @property
    def recipe(self) -> Optional[str]:
        return self.name if self.target.kind == "recipe" else None


def _read_text(path: str) -> str:
    return read_text(path, COMPOSE_FILE_LIMIT)


def _read_env(path: Optional[str]) -> Optional[EnvFile]:
    if not path:
        return None
    if not os.path.exists(path):
        raise InputError(f"{path}: env file not found")
    return read_env_file(path)


def _read_recipe_env(path: str, problems: List[Problem]) -> Optional[EnvFile]:
    """A recipe's own .env or .env.sample; one that cannot be read is a finding, not the end of the run."""
    if not os.path.exists(path):
        return None
    try:
        return read_env_file(path)
    except UnreadableFile as exc:
        problems.append(Problem("yaml", f"cannot read the env file: {exc.reason}", Position(path, 1, 1)))
        return None


def build_env(root: str, env_file: Optional[EnvFile], sample: Optional[EnvFile]):
    """Env file values first, then .env.sample defaults; STACK_NAME as abra derives it."""
    env: Dict[str, str] = {}
    sources: Dict[str, Position] = {}
    for source in (sample, env_file):  # later wins
        if source is not None:
            env.update(source.values)
            sources.update(source.positions)
    if not env.get("STACK_NAME"):
        domain = env.get("DOMAIN")
        env["STACK_NAME"] = domain.replace(".", "_") if domain else STACK_PLACEHOLDER
    return env, sources


def _validate_compose(doc: Document, explicit: bool) -> bool:
    """Structural checks docker would fail on; True when the document can be merged."""
    root = doc.root
    if root is None:
        if not doc.problems:
            doc.problems.append(Problem("compose", "empty file: not a compose mapping", Position(doc.path, 1, 1)))
        return False
    if not isinstance(root, Mapping):
        doc.problems.append(Problem("compose", "the top level must be a mapping with a services key", root.pos))
        return False
    services = root.get("services")
    if services is None:
        return True
    if not isinstance(services, Mapping):
        doc.problems.append(Problem("compose", "services must be a mapping of service names", services.pos))
        return False
    ok = True
    for name, service in services.items.items():
        if not isinstance(service, Mapping):
            if service.plain() is None:
                continue  # `name:` with nothing: docker accepts an empty service
            doc.problems.append(Problem("compose", f"service {name!r} must be a mapping", service.pos))
            ok = False
            continue
        for key in ("deploy", "healthcheck"):
            sub = service.get(key)
            if sub is not None and not isinstance(sub, Mapping) and sub.plain() is not None:
                doc.problems.append(Problem("compose", f"{key} of service {name!r} must be a mapping", sub.pos))
                ok = False
    return ok


# what a compose file may hold at its top level (x-* extensions besides): docker's schema, and
# the compose spec's name and include, so that a file written for docker compose is judged
COMPOSE_TOP_LEVEL = frozenset(("version", "services", "networks", "volumes", "secrets", "configs", "name",
                               "include"))


def looks_like_compose(doc: Document) -> bool:
    """Whether a YAML file found while walking a folder is a compose file to judge.

    Its name says so (compose, stack or swarm in it: a broken one is then reported), or it
    reads as one: a mapping of compose sections only, with ``services`` a mapping. A
    ``.gitlab-ci.yml`` (``services`` is a list, beside ``stages``) or Ansible variables
    (other top-level keys) are someone else's YAML, not a compose file with errors.
    """
    if looks_like_compose_name(doc.path):
        return True
    root = doc.root
    if not isinstance(root, Mapping) or not isinstance(root.get("services"), Mapping):
        return False
    return all(key in COMPOSE_TOP_LEVEL or key.startswith("x-") for key in root.items)


def _services_of(doc: Document, env: Optional[Dict[str, str]] = None,
                 problems: Optional[List[Problem]] = None) -> Dict[str, Mapping]:
    services = doc.root.get("services") if isinstance(doc.root, Mapping) else None
    out: Dict[str, Mapping] = {}
    if isinstance(services, Mapping):
        for name, node in services.items.items():
            if isinstance(node, Mapping):
                out[name] = normalize_service(node, doc.problems if problems is None else problems, env)
            else:
                out[name] = Mapping(node.pos)
    return out


def _is_coopcloud(sample: Optional[EnvFile]) -> bool:
    return sample is not None and bool(sample.values.get("TYPE") or sample.values.get("RECIPE"))


def _explicit_files(root: str, names: Seq[str]) -> List[str]:
    """The ``-c`` files, relative to ``root``: each must be a regular file (a FIFO would hang)."""
    files = []
    for name in names:
        path = os.path.normpath(os.path.join(root, name))
        if not os.path.exists(path):
            raise InputError(f"{path}: --compose-file names a file that does not exist")
        if not os.path.isfile(path):  # follows links: a link to /dev/zero is no regular file
            raise InputError(f"{path}: --compose-file must name a regular file")
        files.append(path)
    return files


def _env_files(root: str, env_file: EnvFile, problems: List[Problem]) -> List[str]:
    """COMPOSE_FILE's entries: empty ones skipped, as ``a.yml::b.yml`` means two files."""
    where = env_file.positions.get("COMPOSE_FILE", Position(env_file.path, 1, 1))
    names = [n.strip() for n in env_file.values["COMPOSE_FILE"].split(":") if n.strip()]
    if not names:
        problems.append(Problem("compose", "COMPOSE_FILE names no file: the stack has no compose file", where))
    files = []
    for name in names:
        path = os.path.normpath(os.path.join(root, name))
        if not os.path.isfile(path):
            problems.append(Problem("compose", f"COMPOSE_FILE names {name}, which does not exist", where))
            continue
        files.append(path)
    return files


def resolve_file_set(target: Target, options: LoadOptions, env_file: Optional[EnvFile],
                     problems: List[Problem]) -> List[str]:
    """The files merged into the stack, in order: -c, else COMPOSE_FILE, else compose.yml (or the file)."""
    root = target.root
    if options.compose_files:
        return _explicit_files(root, options.compose_files)
    if target.kind != "recipe":
        return [target.file]
    if env_file is not None and env_file.values.get("COMPOSE_FILE"):  # empty: unset, as abra reads it
        return _env_files(root, env_file, problems)
    base = _base_file(root)
    return [os.path.normpath(base)] if base else []


def _unreadable_stack(target: Target) -> Stack:
    """A folder the walk could not list: a CP000 finding, never a silent skip."""
    problem = Problem("yaml", f"cannot read the folder: {target.error}; nothing below it was checked",
                      Position(target.root, 1, 1))
    return Stack(target=target, name=target.name, stack_name=STACK_PLACEHOLDER, file_set=[], env={},
                 env_sources={}, documents={}, texts={}, problems=[problem], valid=False)


def stack_targets(path: str, options: LoadOptions = LoadOptions(), unreadable: bool = False,
                  python: bool = False) -> List[Target]:
    """What to load under PATH: with ``-c``, one stack of exactly those files, as docker merges them.

    A recipe (a folder with compose.yml) reads the ``-c`` files relative to itself. Any other
    folder, or a file, is the folder the ``-c`` files are relative to, and the stack is those
    files alone (no folder walk, no lone file linted beside them); a file PATH must be one of them.
    """
    found = discover(path, unreadable=unreadable, python=python)
    targets = [t for t in found if t.kind != "python"]
    modules = [t for t in found if t.kind == "python"]  # harness modules are no part of a -c stack
    if not options.compose_files or (len(targets) == 1 and targets[0].kind == "recipe"
                                     and os.path.isdir(path)) or (modules and not targets):
        return found
    is_file = os.path.isfile(path)
    root = os.path.normpath(os.path.dirname(path) or ".") if is_file else os.path.normpath(path)
    files = _explicit_files(root, options.compose_files)
    if is_file and os.path.normpath(path) not in files:
        raise InputError(f"{path}: not one of the --compose-file files; with -c, name their folder "
                         "(or nothing, for the current one)")
    return [Target("file", files[0], root, file=files[0], explicit=True)] + modules


def load_target(target: Target, options: LoadOptions = LoadOptions()) -> Optional[Stack]:
    """The merged stack of a target, or None for a loose YAML file that is not compose at all."""
    problems: List[Problem] = []
    if target.kind == "unreadable":
        return _unreadable_stack(target)
    if target.kind == "recipe":
        # normalised as the compose files are: "./.env" next to "compose.yml" reads as another file
        sample = _read_recipe_env(os.path.normpath(os.path.join(target.root, ".env.sample")), problems)
        if options.env_file:
            env_file = _read_env(options.env_file)
        else:
            env_file = _read_recipe_env(os.path.normpath(os.path.join(target.root, ".env")), problems)
        file_set = resolve_file_set(target, options, env_file, problems)
        problems.extend(Problem("yaml", f"cannot read the folder: {why}; its compose files were not checked",
                                Position(folder, 1, 1)) for folder, why in target.unread)
        to_check = list(dict.fromkeys(file_set + target.overlays))
        name = target.name
    else:
        env_file = _read_env(options.env_file)
        sample = None
        file_set = resolve_file_set(target, options, env_file, problems)
        to_check = list(file_set)
        name = target.file
    for source in (env_file, sample):
        if source is not None:
            problems.extend(Problem("compose", str(p), p.pos) for p in source.problems)
    env, env_sources = build_env(target.root, env_file, sample)
    interpolate = Interpolator(env)

    documents: Dict[str, Document] = {}
    texts: Dict[str, str] = {}
    read = 0
    for path in to_check:
        try:
            if read > STACK_TEXT_LIMIT:  # each file is bounded, and so are all of a stack's together
                raise UnreadableFile(path, f"not read: the stack's files exceed {STACK_TEXT_LIMIT >> 20} MiB "
                                     "together (a limit against hostile input)")
            text = _read_text(path)
            read += len(text)
        except UnreadableFile as exc:
            if target.explicit:
                raise  # a path the user named: a one-line error, exit 2
            # found while walking a folder: the rest of the fleet is still linted
            texts[path] = ""
            documents[path] = Document(path, None, [Problem("yaml", f"cannot read the file: {exc.reason}", Position(path, 1, 1))])
            continue
        texts[path] = text
        documents[path] = load_document(text, path, interpolate)

    if target.kind == "file" and not target.explicit and not looks_like_compose(documents[target.file]):
        return None  # some other YAML file (a CI workflow, Ansible vars): not ours to judge

    valid = bool(file_set)  # a COMPOSE_FILE naming no file that exists: nothing to lint
    merged: Dict[str, Mapping] = {}
    for path in to_check:
        doc = documents[path]
        ok = _validate_compose(doc, target.explicit)
        refused = False
        if ok and not any(p.kind == "yaml" for p in doc.problems):
            refusals = validate_document(doc)  # what docker's schema refuses, with its reason
            doc.problems.extend(refusals)
            refused = bool(refusals)
        if path in file_set:
            if not ok or any(p.kind == "yaml" and "already defined" not in p.message for p in doc.problems):
                valid = False
                continue
            # still merged, so the rules judge the rest; docker's reason already stands for the file
            merged = merge_services(merged, _services_of(doc, env, [] if refused else None))
    mismatched = version_mismatches([documents[p] for p in file_set if p in documents])
    if mismatched:
        problems.extend(mismatched)
        valid = False
    for doc in documents.values():
        problems.extend(doc.problems)

    stack = Stack(
        target=target, name=name, stack_name=env["STACK_NAME"], file_set=file_set, env=env,
        env_sources=env_sources, documents=documents, texts=texts, problems=problems,
        is_coopcloud=_is_coopcloud(sample), valid=valid,
    )
    stack.services = {n: Service(n, node, stack) for n, node in merged.items()}
    return stack
