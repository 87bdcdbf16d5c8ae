"""Every text exists in German and English with the same placeholders: a key missing in one
language falls back silently (German staff would read English), and a placeholder missing in one
would raise when that language formats it."""
import string

from loyalty import i18n


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_every_text_with_the_same_placeholders():
    german, english = i18n.catalogue("de"), i18n.catalogue("en")
    assert sorted(set(english) - set(german)) == []
    assert sorted(set(german) - set(english)) == []
    differ = [key for key in english if _placeholders(german[key]) != _placeholders(english[key])]
    assert differ == []


def test_the_program_rules_both_editors_show_are_labelled_in_both_languages():
    from loyalty.program_edit import RULES
    for lang in i18n.LANGUAGES:
        labels = {rule: i18n.t(f"program.rule.{rule.split('.')[1]}", lang) for rule in RULES}
        assert all(not label.startswith("program.rule.") for label in labels.values()), labels
