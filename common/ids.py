"""The public ids: stages, topics, cases and levels, defined once.

These strings are a contract (CLI, JSON output, YAML content, stored sessions):
never rename one; add new members at the end.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """The seven steps of the framework, in interview order."""

    clarifying_requirements = "clarifying_requirements"
    framing = "framing"
    data_preparation = "data_preparation"
    model_development = "model_development"
    evaluation = "evaluation"
    deployment_serving = "deployment_serving"
    monitoring = "monitoring"

    @property
    def label(self) -> str:
        return STAGE_TITLES[self]

    @property
    def number(self) -> int:
        return list(Stage).index(self) + 1


STAGE_TITLES: dict[Stage, str] = {
    Stage.clarifying_requirements: "Clarifying requirements",
    Stage.framing: "Framing the problem as an ML task",
    Stage.data_preparation: "Data preparation",
    Stage.model_development: "Model development",
    Stage.evaluation: "Evaluation (offline and online metrics)",
    Stage.deployment_serving: "Deployment and serving",
    Stage.monitoring: "Monitoring and infrastructure",
}


class Topic(StrEnum):
    """Topics an interviewer probes; each has a deep-dive note in the knowledge base."""

    training_serving_skew = "training_serving_skew"
    data_leakage = "data_leakage"
    metric_choice = "metric_choice"
    class_imbalance = "class_imbalance"
    cold_start = "cold_start"
    feedback_loop = "feedback_loop"
    position_bias = "position_bias"
    label_quality = "label_quality"
    data_drift = "data_drift"
    latency_budget = "latency_budget"
    ab_testing = "ab_testing"
    calibration = "calibration"
    negative_sampling = "negative_sampling"
    privacy_fairness = "privacy_fairness"
    scalability = "scalability"
    problem_scoping = "problem_scoping"
    ml_objective = "ml_objective"
    feature_engineering = "feature_engineering"
    model_selection = "model_selection"
    retraining = "retraining"

    @property
    def label(self) -> str:
        """The topic as a reader names it: "training-serving skew", "A/B testing"."""
        return _TOPIC_WORDS.get(self, self.value.replace("_", " "))


_TOPIC_WORDS = {
    Topic.training_serving_skew: "training-serving skew",
    Topic.ab_testing: "A/B testing",
    Topic.ml_objective: "ML objective",
    Topic.privacy_fairness: "privacy and fairness",
}

#: The topics probed first wherever a stage calls for them.
CORE_TOPICS: tuple[Topic, ...] = (
    Topic.training_serving_skew,
    Topic.data_leakage,
    Topic.metric_choice,
)


class CaseId(StrEnum):
    """Case studies; each has `knowledge/cases/<id>.yaml`."""

    visual_search = "visual_search"
    street_view_blurring = "street_view_blurring"
    youtube_video_search = "youtube_video_search"
    harmful_content_detection = "harmful_content_detection"
    video_recommendation = "video_recommendation"
    event_recommendation = "event_recommendation"
    ad_click_prediction = "ad_click_prediction"
    similar_listings = "similar_listings"
    news_feed = "news_feed"
    people_you_may_know = "people_you_may_know"
    fraud_detection = "fraud_detection"
    search_ranking = "search_ranking"
    eta_prediction = "eta_prediction"
    llm_assistant = "llm_assistant"


class Level(StrEnum):
    """The seniority the candidate is interviewing for."""

    junior = "junior"
    mid = "mid"
    senior = "senior"
    staff = "staff"


class Recommendation(StrEnum):
    strong_no_hire = "strong_no_hire"
    lean_no_hire = "lean_no_hire"
    lean_hire = "lean_hire"
    strong_hire = "strong_hire"


class ProviderName(StrEnum):
    """Which engine speaks and judges (`--provider`)."""

    offline = "offline"
    openai = "openai"
    local = "local"
