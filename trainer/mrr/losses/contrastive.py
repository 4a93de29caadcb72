"""Supervised contrastive loss over a candidate group: the labelled positive (column 0) against
the group's hard negatives (InfoNCE / softmax cross-entropy)."""
import torch
import torch.nn.functional as F


def supervised_contrastive(scores: torch.Tensor, positive: int = 0) -> torch.Tensor:
    # scores [Q,G]; column `positive` holds each group's labelled relevant passage -> scalar
    target = torch.full((scores.shape[0],), positive, dtype=torch.long, device=scores.device)
    return F.cross_entropy(scores.float(), target)
