"""Which language a file is in, and the tree-sitter grammar and queries for it.

Grammars come from the per-language wheels (``tree_sitter_c`` ...), never from a package that
downloads at run time, so parsing works offline. Each language has one query whose capture
names say what a node is: ``def.<kind>`` (a definition), ``import``, ``call`` /
``call.attr`` (a call by name or through ``obj.name``) and, in C and C++, ``call.ref``: a bare
name passed, stored or returned, which is how a function pointer to it is made. References
are not queried: a regex over the text finds them several times faster, and a name in a
comment is a fair reference.
"""

from __future__ import annotations

import importlib
import re
from functools import cache

import tree_sitter as ts

EXTENSIONS: dict[str, str] = {
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp", ".hh": "cpp", ".hpp": "cpp",
    ".hxx": "cpp", ".h++": "cpp", ".inl": "cpp", ".ipp": "cpp",
    ".py": "python", ".pyi": "python",
    ".rs": "rust", ".go": "go", ".java": "java",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    # Text without a grammar: packed as text, no symbols.
    ".md": "markdown", ".rst": "rst", ".txt": "text", ".toml": "toml", ".yaml": "yaml",
    ".yml": "yaml", ".json": "json", ".sh": "shell", ".bash": "shell", ".cmake": "cmake",
    ".mk": "make", ".in": "text", ".cfg": "ini", ".ini": "ini", ".html": "html", ".css": "css",
    ".tcl": "tcl", ".rb": "ruby", ".pl": "perl", ".lua": "lua", ".s": "asm", ".S": "asm",
}
FILENAMES: dict[str, str] = {
    "Makefile": "make", "makefile": "make", "GNUmakefile": "make", "CMakeLists.txt": "cmake",
    "Dockerfile": "dockerfile", "Cargo.toml": "toml", "meson.build": "meson",
}
SHEBANGS = (("python", "python"), ("node", "javascript"), ("bash", "shell"), ("sh", "shell"))
_CPP_HEADER = re.compile(rb"^\s*(class\s+\w+\s*[:{]|namespace\s+\w*\s*\{|template\s*<)|std::", re.M)

_GRAMMARS: dict[str, tuple[str, str]] = {
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "python": ("tree_sitter_python", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "go": ("tree_sitter_go", "language"),
    "java": ("tree_sitter_java", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
}

_C_COMMON = """
(preproc_def name: (identifier)) @def.macro
(preproc_function_def name: (identifier)) @def.macro
(preproc_include path: (_) @import)
(type_definition) @def.type
(enum_specifier name: (type_identifier) body: (_)) @def.type
(struct_specifier name: (type_identifier) body: (_)) @def.type
(union_specifier name: (type_identifier) body: (_)) @def.type
(function_definition) @def.function
(declaration declarator: (function_declarator)) @def.prototype
(declaration declarator: (pointer_declarator declarator: (function_declarator))) @def.prototype
(call_expression function: (identifier) @call)
(call_expression function: (field_expression field: (field_identifier) @call.attr))
(argument_list (identifier) @call.ref)
(initializer_list (identifier) @call.ref)
(initializer_pair value: (identifier) @call.ref)
(init_declarator value: (identifier) @call.ref)
(assignment_expression right: (identifier) @call.ref)
(pointer_expression argument: (identifier) @call.ref)
(return_statement (identifier) @call.ref)
"""

QUERIES: dict[str, str] = {
    "c": _C_COMMON,
    "cpp": _C_COMMON + """
(class_specifier name: (type_identifier) body: (_)) @def.class
(namespace_definition name: (_) body: (_)) @def.namespace
(field_declaration declarator: (function_declarator)) @def.prototype
(alias_declaration name: (type_identifier)) @def.type
(call_expression function: (qualified_identifier name: (identifier) @call))
""",
    "python": """
(class_definition name: (identifier)) @def.class
(function_definition name: (identifier)) @def.function
(import_statement name: (dotted_name) @import)
(import_statement name: (aliased_import name: (dotted_name) @import))
(import_from_statement module_name: (_) @import)
(call function: (identifier) @call)
(call function: (attribute attribute: (identifier) @call.attr))
""",
    "rust": """
(function_item name: (identifier)) @def.function
(function_signature_item name: (identifier)) @def.prototype
(struct_item name: (type_identifier)) @def.type
(enum_item name: (type_identifier)) @def.type
(union_item name: (type_identifier)) @def.type
(type_item name: (type_identifier)) @def.type
(trait_item name: (type_identifier)) @def.trait
(impl_item) @def.impl
(macro_definition name: (identifier)) @def.macro
(const_item name: (identifier)) @def.const
(static_item name: (identifier)) @def.const
(use_declaration argument: (_) @import)
(mod_item name: (identifier) @import .)
(call_expression function: (identifier) @call)
(call_expression function: (scoped_identifier name: (identifier) @call))
(call_expression function: (field_expression field: (field_identifier) @call.attr))
(macro_invocation macro: (identifier) @call)
""",
    "go": """
(function_declaration name: (identifier)) @def.function
(method_declaration name: (field_identifier)) @def.method
(type_spec name: (type_identifier)) @def.type
(import_spec path: (_) @import)
(call_expression function: (identifier) @call)
(call_expression function: (selector_expression field: (field_identifier) @call.attr))
""",
    "java": """
(class_declaration name: (identifier)) @def.class
(interface_declaration name: (identifier)) @def.class
(enum_declaration name: (identifier)) @def.class
(record_declaration name: (identifier)) @def.class
(method_declaration name: (identifier)) @def.method
(constructor_declaration name: (identifier)) @def.method
(import_declaration (_) @import)
(method_invocation name: (identifier) @call)
(object_creation_expression type: (type_identifier) @call)
""",
    "javascript": """
(function_declaration name: (identifier)) @def.function
(generator_function_declaration name: (identifier)) @def.function
(class_declaration name: (identifier)) @def.class
(method_definition name: (property_identifier)) @def.method
(variable_declarator name: (identifier)
  value: [(arrow_function) (function_expression)]) @def.function
(import_statement source: (string) @import)
(call_expression function: (identifier) @call)
(call_expression function: (member_expression property: (property_identifier) @call.attr))
""",
}
QUERIES["typescript"] = QUERIES["javascript"].replace(
    "(class_declaration name: (identifier))", "(class_declaration name: (type_identifier))"
) + """
(abstract_class_declaration name: (type_identifier)) @def.class
(interface_declaration name: (type_identifier)) @def.class
(type_alias_declaration name: (type_identifier)) @def.type
(enum_declaration name: (identifier)) @def.type
(function_signature name: (identifier)) @def.prototype
(method_signature name: (property_identifier)) @def.method
"""
QUERIES["tsx"] = QUERIES["typescript"]

# Kinds whose body holds other definitions: their signature is the header only.
CONTAINER_KINDS = frozenset({"class", "namespace", "trait", "impl"})
# Languages whose bodies are braces (signature gets " { ... }") rather than indentation.
BRACE_LANGUAGES = frozenset(_GRAMMARS) - {"python"}


def has_grammar(lang: str | None) -> bool:
    return lang in _GRAMMARS


def detect_language(path: str, head: bytes) -> str | None:
    """Language of ``path`` from its name, extension or shebang; ``head`` is its first bytes.

    A ``.h`` file is C unless it uses C++ only syntax: a C++ header parsed as C loses its
    classes, a C header parsed as C++ keeps everything.
    """
    name = path.rsplit("/", 1)[-1]
    if name in FILENAMES:
        return FILENAMES[name]
    dot = name.rfind(".")
    if dot > 0:
        ext = name[dot:]
        lang = EXTENSIONS.get(ext) or EXTENSIONS.get(ext.lower())
        if lang == "c" and ext.lower() == ".h" and _CPP_HEADER.search(head):
            return "cpp"
        return lang
    if head.startswith(b"#!"):
        first = head.split(b"\n", 1)[0].decode("latin-1")
        for word, lang in SHEBANGS:
            if re.search(rf"\b{word}[0-9.]*\b", first):
                return lang
    return None


@cache
def grammar(lang: str) -> ts.Language:
    module, func = _GRAMMARS[lang]
    return ts.Language(getattr(importlib.import_module(module), func)())


@cache
def query(lang: str) -> ts.Query:
    return ts.Query(grammar(lang), QUERIES[lang])


@cache
def parser(lang: str) -> ts.Parser:
    return ts.Parser(grammar(lang))
