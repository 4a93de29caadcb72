"""Listwise soft cross-entropy: a student's ranking distribution over a candidate group learns
the teacher's (softmax at temperature tau). Needs no labels."""
import torch


def listwise_kd(student: torch.Tensor, teacher: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    # student, teacher [Q,G] scores over groups of G candidates -> scalar
    target = (teacher.detach().float() / tau).softmax(-1)
    return -(target * (student.float() / tau).log_softmax(-1)).sum(-1).mean() * tau * tau
