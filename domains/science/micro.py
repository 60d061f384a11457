"""Micro science: multiple-choice questions applying a physical law, with units, answered by letter.

Each question gives two quantities; the model must know which law relates them to the asked quantity and the
unit of the result. Distractors: the right number with a wrong unit, the wrong operation with the right
unit, and a near miss. Worked SFT references state the law and the computation before the letter.
"""

from __future__ import annotations

import random

from domains.base import Example, MicroSplits
from domains.mcq import format_mcq, shuffled
from domains.micro_common import example, fill_splits

# name -> (question template, law text, operation, unit); "{a}"/"{b}" are the given quantities
LAWS: dict[str, tuple[str, str, str, str]] = {
    "force": ("A {a} kg cart accelerates at {b} m/s2. What is the net force on it?", "F = m*a", "*", "N"),
    "mass": ("A block has density {a} g/cm3 and volume {b} cm3. What is its mass?", "m = d*V", "*", "g"),
    "distance": ("A car moves at {a} m/s for {b} s. How far does it go?", "s = v*t", "*", "m"),
    "work": ("A force of {a} N pushes a box {b} m. How much work is done?", "W = F*d", "*", "J"),
    "power": ("A lamp runs on {a} V and draws {b} A. What is its power?", "P = V*I", "*", "W"),
    "charge": ("A current of {a} A flows for {b} s. How much charge passes?", "Q = I*t", "*", "C"),
    "speed": ("A runner covers {a} m in {b} s. What is the speed?", "v = s/t", "/", "m/s"),
    "current": ("A {a} V source drives a {b} ohm resistor. What is the current?", "I = V/R", "/", "A"),
    "pressure": ("A force of {a} N acts on {b} m2. What is the pressure?", "p = F/A", "/", "Pa"),
}
UNITS = sorted({law[3] for law in LAWS.values()})


def micro(seed: int, n_rl: int, n_sft: int, n_eval: int, *, max_a: int = 40, max_b: int = 20,
          worked_fraction: float = 0.4) -> MicroSplits:
    """Deterministic splits from ``seed``; divisions are constructed to come out whole."""
    names = sorted(LAWS)

    def sample(rng: random.Random) -> tuple[tuple, tuple, Example]:
        name = names[rng.randrange(len(names))]
        template, law, op, unit = LAWS[name]
        a, b = rng.randint(2, max_a), rng.randint(2, max_b)
        if op == "/":
            a = a * b  # whole quotient: a/b = the original a
            value, wrong_op = a // b, a - b
        else:
            value, wrong_op = a * b, a + b
        wrong_unit = rng.choice([u for u in UNITS if u != unit])
        near = value + rng.choice((-1, 1)) * rng.randint(1, 3)
        others: list[int] = []
        for cand in (wrong_op, near, value + 4, value - 4, value + 5, value + 6, value + 7):
            if cand != value and cand not in others and len(others) < 2:
                others.append(cand)
        choices = [f"{value} {unit}", f"{value} {wrong_unit}", *[f"{n} {unit}" for n in others]]
        choices, letter = shuffled(choices, 0, f"{seed}|{rng.random()}")
        prompt = format_mcq(template.format(a=a, b=b), choices)
        worked = rng.random() < worked_fraction
        step = f"{law} = {a}{op}{b} = {value} {unit}\n" if worked else ""
        key = (name, a, b)
        return key, key, example(
            prompt, {"answer": letter, "n_choices": 4}, f"{step}Answer: {letter}", law=name, worked=worked
        )

    return fill_splits("science", sample, seed=seed, n_rl=n_rl, n_sft=n_sft, n_eval=n_eval)
