import pkgutil
from pathlib import Path

import pytest

import domains
from domains.registry import DOMAINS, RL_DOMAINS, all_suites, get_domain, get_suite, micro_corpus, verify
from harness.errors import UserError

# top-level modules of domains/ that are shared machinery, not domains
SHARED_MODULES = {"base", "registry", "answers", "mcq", "micro_common", "micro_suites", "loaders", "rl_data", "hub"}
PACKAGE_TO_NAME = {"instruction_following": "if"}


def test_every_domain_package_is_registered():
    pkgs = {m.name for m in pkgutil.iter_modules(domains.__path__) if m.ispkg}
    assert {PACKAGE_TO_NAME.get(p, p) for p in pkgs} == set(DOMAINS)
    for p in pkgs:
        assert DOMAINS[PACKAGE_TO_NAME.get(p, p)].name == PACKAGE_TO_NAME.get(p, p)


def test_every_top_level_module_is_known():
    mods = {m.name for m in pkgutil.iter_modules(domains.__path__) if not m.ispkg}
    assert mods <= SHARED_MODULES, f"unregistered module(s) in domains/: {mods - SHARED_MODULES}"


def test_rl_domains_and_names():
    assert set(RL_DOMAINS) == {"math", "code", "science", "if"}
    assert set(DOMAINS) == {"math", "code", "science", "if", "general"}


def test_unknown_domain_suggests():
    with pytest.raises(UserError, match=r"unknown domain 'mathh'; did you mean 'math'\?"):
        get_domain("mathh")


def test_unknown_suite_suggests():
    with pytest.raises(UserError, match=r"did you mean 'micro-math'\?"):
        get_suite("micro-maths")


def test_suites_belong_to_their_domain():
    suites = all_suites()
    for name in ("micro-math", "micro-code", "micro-science", "micro-if", "micro-general"):
        assert name in suites
    for name, s in suites.items():
        assert s.name == name and s.domain in DOMAINS and s.k >= 1


def test_verify_routes_by_domain():
    ok = verify({"domain": "math", "label": "12"}, "3*4=12\n\\boxed{12}")
    assert ok.correct and ok.reward == 1.0
    assert not verify({"domain": "math", "label": "12"}, "\\boxed{13}").correct
    assert verify({"domain": "science", "label": {"answer": "B", "n_choices": 4}}, "Answer: B").correct
    assert not verify({"domain": "general", "label": {"answer": "B", "n_choices": 4}}, "Answer: C").correct
    with pytest.raises(UserError, match="unknown domain"):
        verify({"domain": "chem", "label": "1"}, "x")


def test_micro_corpus_deterministic_and_excludes_eval():
    a, b = micro_corpus(0, 500), micro_corpus(0, 500)
    assert a == b and len(a) == 500
    eval_prompts = {ex["messages"][0]["content"] for d in ("math", "science") for ex in get_domain(d).micro(0, 0, 0, 50).eval}
    assert not any(t.split("\n")[0] in eval_prompts or t.rsplit("\n", 1)[0] in eval_prompts for t in a)


def test_shared_module_list_is_current():
    here = Path(domains.__file__).parent
    for m in SHARED_MODULES:
        assert (here / f"{m}.py").exists() or m == "rl_data", m
