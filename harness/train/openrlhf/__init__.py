"""OpenRLHF backend: the GPU/multi-node path of the Trainer seam.

The harness does not re-implement OpenRLHF: it writes, for one stage of a recipe, the exact launch of the
pinned release (``pinned.OPENRLHF_VERSION``) inside the ``docker/openrlhf`` image — ``openrlhf.cli.train_sft``
for SFT, ``openrlhf.cli.train_ppo_ray`` with group-normalised advantages for single-domain and multi-task GRPO —
plus the data files (``data``) and the custom reward file (``reward_func``) that routes every sample to our
domain verifiers by the domain its record carries. Code is executed by the sandbox on the host's Docker
engine, whose socket the launch mounts into the training container.

MT-OPD: OpenRLHF 0.11.2 ships no distillation entry point (its CLI is train_sft, train_rm, train_dpo,
train_ppo_ray, serve_rm, lora_combiner; earlier releases' ``train_kd`` distilled one teacher off-policy, on
dataset responses), and its PPO loop cannot pick a teacher per prompt and use that teacher's token log-probs
as the advantage on the student's own samples. Multi-teacher on-policy distillation therefore runs on the
local TRL backend (``--backend local``); ``launch.run(kind="opd")`` stops with one line saying so.

Entry points: ``launch.plan`` (the ``Launch``), ``launch.format_plan`` (the command, one flag per line),
``launch.run`` (``--dry-run`` prints it; otherwise runs it where GPUs and the image exist).
"""
