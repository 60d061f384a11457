"""Micro science: apply a physical law to two given quantities and answer with the value *and its unit*.

``A force of 19 N pushes a box 100 m. How much work is done?`` → ``Answer: 1900 J``. The skill specific to the
domain is knowing the law: which operation relates the givens and which unit the result carries (a right number
with a wrong unit scores 0, and the imperfect teacher's mistake is a confused unit). The second quantity is 10
or 100, so the arithmetic is shifting zeros: measured on the ~1 M-parameter micro model, with products of table
facts (``7*9``) the seed-1 SFT model answered ~10% right and its GRPO rewards stayed at ~0.05. Worked SFT
references state the law and the computation before the answer; direct ones answer straight away. The label is
``{"exact": "1900 J"}``, the verifier's normalised exact match (as for HLE's short answers).

Why not multiple choice (GPQA's format, which the science verifier also scores): measured on the ~1 M-parameter
micro model, picking the letter of the matching choice stayed at chance (0.25 Avg@4 on 100 problems) after three
SFT epochs and 90 GRPO steps, so a micro MCQ domain shows neither learning nor transfer.
"""

from __future__ import annotations

import random

from domains.base import Example, MicroSplits
from domains.micro_common import TEACHER_ERROR, example, fill_splits

# name -> (question template, law text, operation, unit); "{a}"/"{b}" are the given quantities
LAWS: dict[str, tuple[str, str, str, str]] = {
    "force": ("A {a} kg cart accelerates at {b} m/s2. What is the net force on it?", "F = m*a", "*", "N"),
    "mass": ("A block has density {a} g/cm3 and volume {b} cm3. What is its mass?", "m = d*V", "*", "g"),
    "distance": ("A car moves at {a} m/s for {b} s. How far does it go?", "s = v*t", "*", "m"),
    "work": ("A force of {a} N pushes a box {b} m. How much work is done?", "W = F*d", "*", "J"),
    "power": ("A lamp runs on {a} V and draws {b} A. What is its power?", "P = V*I", "*", "W"),
    "charge": ("A current of {a} A flows for {b} s. How much charge passes?", "Q = I*t", "*", "C"),
    "momentum": ("A {a} kg ball moves at {b} m/s. What is its momentum?", "p = m*v", "*", "kg m/s"),
    "voltage": ("A current of {a} A flows through a {b} ohm resistor. What is the voltage?", "V = I*R", "*", "V"),
    "speed": ("A runner covers {a} m in {b} s. What is the speed?", "v = s/t", "/", "m/s"),
    "current": ("A {a} V source drives a {b} ohm resistor. What is the current?", "I = V/R", "/", "A"),
    "pressure": ("A force of {a} N acts on {b} m2. What is the pressure?", "p = F/A", "/", "Pa"),
    "resistance": ("A {a} V source drives a current of {b} A. What is the resistance?", "R = V/I", "/", "ohm"),
    "density": ("A {a} g stone has a volume of {b} cm3. What is its density?", "d = m/V", "/", "g/cm3"),
    "acceleration": ("A net force of {a} N acts on a {b} kg cart. What is its acceleration?", "a = F/m", "/", "m/s2"),
    "time": ("A train covers {a} m at {b} m/s. How long does it take?", "t = s/v", "/", "s"),
    "energy": ("A {a} W heater runs for {b} s. How much energy does it use?", "E = P*t", "*", "J"),
}
# the teacher's mistake: the unit of a quantity the asked one is easily confused with
CONFUSED_UNIT: dict[str, str] = {
    "force": "J", "mass": "g/cm3", "distance": "m/s", "work": "N", "power": "J", "charge": "A", "momentum": "N",
    "voltage": "ohm", "speed": "m", "current": "V", "pressure": "N", "resistance": "V", "density": "g",
    "acceleration": "m/s", "time": "m/s", "energy": "W",
}


def micro(seed: int, n_rl: int, n_sft: int, n_eval: int, *, max_a: int = 60, factors: tuple[int, ...] = (10, 100),
          worked_fraction: float = 0.4, teacher_error: float = TEACHER_ERROR) -> MicroSplits:
    """Deterministic splits from ``seed``; the second quantity is one of ``factors`` and divisions are
    constructed to come out whole. The problem space holds ``len(LAWS) * (max_a - 1) * len(factors)`` problems
    (1,888 by default), 15% of them for eval.
    ``teacher_error`` of the SFT references give the right number with a confused unit (``CONFUSED_UNIT``)."""
    names = sorted(LAWS)

    def sample(rng: random.Random) -> tuple[tuple, tuple, Example]:
        name = names[rng.randrange(len(names))]
        template, law, op, unit = LAWS[name]
        a, b = rng.randint(2, max_a), factors[rng.randrange(len(factors))]
        if op == "/":
            a = a * b  # whole quotient: a/b = the original a
            value = a // b
        else:
            value = a * b
        worked = rng.random() < worked_fraction

        def respond(unit: str) -> str:
            answer = f"{value} {unit}"
            return (f"{law} = {a}{op}{b} = {answer}\n" if worked else "") + f"Answer: {answer}"

        key = (name, a, b)
        return key, key, example(template.format(a=a, b=b), {"exact": f"{value} {unit}"}, respond(unit),
                                 law=name, worked=worked, mistake=respond(CONFUSED_UNIT[name]))

    return fill_splits("science", sample, seed=seed, n_rl=n_rl, n_sft=n_sft, n_eval=n_eval,
                       teacher_error=teacher_error)
