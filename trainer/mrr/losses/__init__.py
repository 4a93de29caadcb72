from .listwise_kd import listwise_kd
from .contrastive import supervised_contrastive

__all__ = ["listwise_kd", "supervised_contrastive"]
