"""Lifecycle models, one module per concern; every model is imported here."""

from lifecycle.models.advocacy import AdvocacyRecord
from lifecycle.models.followup import FollowUp
from lifecycle.models.settings import LifecycleSettings
from lifecycle.models.stages import StageHold, StageTransition
from lifecycle.models.success import Objective, SuccessPlan
from lifecycle.models.tasks import Playbook, PlaybookStep, Task
from lifecycle.models.touchpoints import Touchpoint

__all__ = ["LifecycleSettings", "Playbook", "PlaybookStep", "Task"]
__all__ += ["AdvocacyRecord", "Objective", "SuccessPlan", "Touchpoint"]
__all__ += ["StageHold", "StageTransition"]
__all__ += ["FollowUp"]
