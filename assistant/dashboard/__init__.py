"""What the partner dashboard reads besides the rebates API: recent customer feedback."""

from assistant.dashboard.feedback import FeedbackItem, FeedbackSummary, feedback_scope, recent_feedback

__all__ = ["FeedbackItem", "FeedbackSummary", "feedback_scope", "recent_feedback"]
