"""Norwegian for click's own words (usage, options, its error messages).

click passes its user-facing strings through ``gettext``; we give its modules a translation
table instead of a message catalogue, so every word on the screen is Norwegian. Strings not in
the table pass through unchanged.
"""
from __future__ import annotations

import importlib

NORWEGIAN = {
    "Usage:": "Bruk:",
    "Options": "Valg",
    "Commands": "Kommandoer",
    "Positional arguments": "Argumenter",
    "Show this message and exit.": "Vis denne hjelpen og avslutt.",
    "Show the version and exit.": "Vis versjonen og avslutt.",
    "Error: {message}": "Feil: {message}",
    "Try '{command} {option}' for help.": "Se «{command} {option}» for hjelp.",
    "Missing option": "Mangler valget",
    "Missing argument": "Mangler argumentet",
    "Missing parameter": "Mangler parameteren",
    "Missing command.": "Mangler kommando.",
    "Missing {param_type}": "Mangler {param_type}",
    "Missing parameter: {param_name}": "Mangler parameteren: {param_name}",
    "No such command {name!r}.": "Ukjent kommando {name!r}.",
    "No such option {name!r}.": "Ukjent valg {name!r}.",
    "Option {name!r} does not take a value.": "Valget {name!r} tar ingen verdi.",
    "Invalid value for {param_hint}: {message}": "Ugyldig verdi for {param_hint}: {message}",
    "Invalid value: {message}": "Ugyldig verdi: {message}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} finnes ikke.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} er en mappe.",
    "{name} {filename!r} is a file.": "{name} {filename!r} er en fil.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} kan ikke leses.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} kan ikke skrives til.",
    "{value!r} is not a valid {number_type}.": "{value!r} er ikke et gyldig tall.",
    "{value} is not in the range {range}.": "{value} er utenfor {range}.",
    "Choose from:\n\t{choices}": "Velg blant:\n\t{choices}",
    "Aborted!": "Avbrutt.",
    "default: {default}": "standard: {default}",
    "required": "påkrevd",
    "file": "Fil",  # also the metavar: FIL
    "directory": "Mappe",
    "path": "Sti",
    "Did you mean {possibility}?": "Mente du {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Mente du en av: {possibilities}?)",
    "Got unexpected extra argument ({args})": "Fikk et argument for mye ({args})",
    "Got unexpected extra arguments ({args})": "Fikk argumenter for mye ({args})",
    "Option {name!r} requires an argument.": "Valget {name!r} trenger en verdi.",
    "Option {name!r} requires {nargs} arguments.": "Valget {name!r} trenger {nargs} verdier.",
}


def gettext(message: str) -> str:
    return NORWEGIAN.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def install() -> None:
    """Give click's modules the Norwegian table (idempotent)."""
    for name in ("core", "exceptions", "formatting", "types", "decorators", "parser", "termui"):
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:
            continue
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
