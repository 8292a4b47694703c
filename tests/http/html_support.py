"""Reading dashboard HTML in tests: a small tree built with the standard library's parser, so
assertions name elements by id, role and attribute instead of matching raw markup."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"})


class Node:
    """An element: its tag, attributes, child elements and text."""

    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs, self.children, self.text = tag, attrs, [], ""
        self.parts: list[str | Node] = []  # text and children, in document order

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag) and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        (found,) = self.find_all(tag, **attrs)
        return found

    def by_id(self, element_id: str) -> Node:
        return self.one(id=element_id)

    @property
    def all_text(self) -> str:
        """The text inside, in document order, its whitespace collapsed."""
        raw = "".join(p if isinstance(p, str) else f" {p.all_text} " for p in self.parts)
        return " ".join(raw.split())

    def selected(self) -> str | None:
        """The option a <select> shows as chosen (the first one when none is marked)."""
        options = self.find_all("option")
        for option in options:
            if "selected" in option.attrs:
                return option.all_text
        return options[0].all_text if options else None


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].text += data
        self.stack[-1].parts.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root
