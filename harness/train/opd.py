"""Multi-teacher on-policy distillation (MT-OPD) as the smallest extension of TRL's ``DistillationTrainer``.

The student samples on-policy (the base trainer does that); every prompt's teacher is the single-domain RL model of
the prompt's ``domain`` column; the loss is the per-token reverse KL(student || teacher) of TRL's chunked divergence
with ``beta=1.0``. The extension (see ``../shared/notes/mt-opd-on-trl.md``):

1. ``teachers={domain: model}``: each teacher is prepared once, the way the base prepares its single teacher, and
   must share the student's vocabulary;
2. after the base ``_generate_and_score_completions``, a per-row ``teacher_idx`` tensor is attached (the base's
   shuffle/split helpers carry per-row tensors along);
3. ``_compute_loss`` slices each micro-batch by teacher, points ``self.teacher_model`` at that teacher and calls the
   base loss. The base divides by the global completion-token count, so the group losses add up to the exact
   micro-batch loss; when that count is absent (evaluation) the local token count of the micro-batch is used.

It overrides private methods of TRL 1.16.0 (pinned in pyproject); ``tests/train/test_opd.py`` compares the loss with
a naive full-logit per-row reverse KL under the right teacher and a swapped one.
"""

from __future__ import annotations

import torch
from transformers import PreTrainedModel
from trl import DistillationTrainer

from harness.errors import UserError
from harness.ledger import TokenLedger, param_count


class MultiTeacherDistillationTrainer(DistillationTrainer):
    """``DistillationTrainer`` whose teacher is chosen per row by the dataset's ``domain`` column."""

    def __init__(self, *args, teachers: dict[str, PreTrainedModel], **kwargs):
        if not teachers:
            raise UserError("MT-OPD needs at least one teacher (domain -> model)")
        names = sorted(teachers)
        first = teachers[names[0]]
        # the base prepares (device placement, eval mode, vocabulary check) the teacher it is given: give it the first
        super().__init__(*args, teacher_model=first, **kwargs)
        student_vocab = self.model.config.get_text_config().vocab_size
        self.teacher_domains: list[str] = names
        self.teacher_index = {d: i for i, d in enumerate(names)}
        self.teachers: list[torch.nn.Module] = []
        for d in names:
            t = teachers[d]
            vocab = t.config.get_text_config().vocab_size
            if vocab != student_vocab:
                raise UserError(f"teacher for {d!r} has vocab_size {vocab}, the student {student_vocab}: "
                                "reverse KL over the vocabulary needs one shared tokenizer")
            if t is first:
                self.teachers.append(self.teacher_model)
            elif self.is_deepspeed_enabled:
                from trl.models import prepare_deepspeed

                self.teachers.append(prepare_deepspeed(t, self.accelerator))
            else:
                self.teachers.append(self.accelerator.prepare_model(t, evaluation_mode=True))
        self.ledger = TokenLedger(param_count(self.model))  # the student's N; teachers share its architecture

    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        missing = sorted({x.get("domain") for x in inputs} - set(self.teacher_index), key=str)
        if missing:
            raise UserError(f"MT-OPD rows with domain {missing} have no teacher; teachers: {self.teacher_domains}")
        out["teacher_idx"] = torch.tensor(
            [self.teacher_index[x["domain"]] for x in inputs], device=out["completion_ids"].device
        )
        if self.model.training:  # on-policy samples, one teacher forward (no grad) and one student forward + backward
            self.ledger.add_rollout(out["prompt_mask"], out["completion_mask"], nograd_forwards=1)
        return out

    def _compute_loss(self, unwrapped_student, inputs, num_items_in_batch):
        idx = inputs["teacher_idx"]
        rows = {k: v for k, v in inputs.items() if isinstance(v, torch.Tensor) and v.dim() > 0 and len(v) == len(idx)}
        if num_items_in_batch is None:  # evaluation: normalise by this micro-batch's tokens, as the base does
            mask = inputs["completion_mask"] if "tool_mask" not in inputs else inputs["completion_mask"] * inputs["tool_mask"]
            num_items_in_batch = mask.sum().clamp(min=1)
        loss = entropy = n_valid = None
        try:
            for t in idx.unique().tolist():  # fixed order: ascending teacher index
                sel = idx == t
                part = {**inputs, **{k: v[sel] for k, v in rows.items()}}
                self.teacher_model = self.teachers[t]
                lo, en, nv = super()._compute_loss(unwrapped_student, part, num_items_in_batch)
                loss, entropy, n_valid = (lo, en, nv) if loss is None else (loss + lo, entropy + en, n_valid + nv)
        finally:
            self.teacher_model = self.teachers[0]
        return loss, entropy, n_valid
