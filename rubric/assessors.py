"""Assessors turn an answer into coverage of a stage's expected ideas and misconceptions.

One protocol, `Assessor.assess`. The offline `EmbeddingAssessor` follows expectation coverage in the
style of AutoTutor: an idea is covered when a sentence of the answer says it outright (a cue) or is
close enough in meaning to one of the idea's phrasings. Every quote is a verbatim slice of the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from common.base import Strict, load_yaml
from common.ids import Stage, Topic
from knowledge.cases import ideas_asked
from rubric.guard import addresses_grader
from rubric.shorthand import spelled_out

if TYPE_CHECKING:
    from knowledge.cases import Case, DeepDive, ExpectedIdea, Misconception, StagePlan
    from knowledge.embedding import Vectors

#: where a sentence ends: a line break, or . ! ? ; before a space (so `p.comment`, `v1.2` and
#: `e.g.x` stay whole, which matters for answers written as code)
_BREAK = re.compile(r"[.!?;]+(?=\s|$)|\n")
#: a dotted abbreviation that opens or sits inside a sentence ("e.g. a time split", "P.S. ..."): a
#: full stop after it does not end the sentence
_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:e\.g|i\.e|p\.s|vs|cf|approx|incl|a\.k\.a|w\.r\.t)\.$", re.IGNORECASE
)
_FENCE = re.compile(r"^(```|~~~)\w*$")
#: a Markdown heading: it names a topic ("### Weighted cross-entropy"), it does not make a point
_HEADING = re.compile(r"^#{1,6}\s")
_NEGATION = re.compile(
    r"\b(?:not|never|no|avoid\w*|don'?t|doesn'?t|isn'?t|aren'?t|shouldn'?t|wouldn'?t|won'?t|instead"
    r"|rather than|without|against|wrong|mistake|misleading|useless|meaningless|pointless|leak\w*"
    r"|bad|naive)\b|[\u274c\u2717\u2718\U0001f6ab]",  # a cross mark before a list item
    re.IGNORECASE,
)


class Coverage(Strict):
    """What one answer covered, with evidence quoted verbatim from it.

    `met`: ideas made clearly; `shallow`: ideas only touched (the area named, not the point);
    `misconceptions`: known wrong moves stated as the plan. An idea absent from all is not discussed.
    """

    met: dict[str, list[str]] = {}
    shallow: dict[str, list[str]] = {}
    misconceptions: dict[str, list[str]] = {}
    on_topic: bool = False
    """The answer discusses the stage, if none of its points (a sentence near one of the stage's
    ideas by a looser bar than a shallow mention): generic, not skipped."""
    judge: str = "offline"
    """Which judge assessed the answer."""
    fallback: str | None = None
    """Why the offline judge answered in the model's place (a deadline, a failed call)."""


class Assessor(Protocol):
    name: str
    version: str

    def assess(self, case: Case, stage: Stage, text: str) -> Coverage: ...


def sentences(text: str) -> list[str]:
    """The answer's sentences, each a verbatim substring of it."""
    return [text[a:b] for a, b in _spans(text)]


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, surrounding whitespace excluded."""
    out, begin = [], 0
    for end in [m.end() for m in _BREAK.finditer(text)] + [len(text)]:
        if end < len(text) and text[end - 1] == "." and _ABBREVIATION.search(text[begin:end].strip()):
            continue
        raw = text[begin:end]
        core = raw.strip()
        if len(core) > 2 and not _FENCE.match(core):
            start = begin + len(raw) - len(raw.lstrip())
            out.append((start, start + len(core)))
        begin = end
    return out


def _units(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Sentences that do not address the grader, then each pair of neighbours as one verbatim slice
    (a point often spans a claim and its reason); returns the units and, per pair, the indices of
    its two sentences among the units."""
    every, kept = _screened(text)
    index = {n: i for i, n in enumerate(n for n, ok in enumerate(kept) if ok)}
    spans = [span for span, ok in zip(every, kept, strict=True) if ok]
    pairs = [  # only neighbours in the original text: a pair never spans a dropped sentence
        n for n in range(len(every) - 1) if kept[n] and kept[n + 1]
    ]
    units = [text[a:b] for a, b in spans] + [text[every[n][0] : every[n + 1][1]] for n in pairs]
    return units, [(index[n], index[n + 1]) for n in pairs]


def _joined(plan: StagePlan, one: dict[str, list[str]], other: dict[str, list[str]]) -> dict[str, list[str]]:
    ids = [m.id for m in plan.misconceptions if m.id in one or m.id in other]
    return {i: [*one.get(i, []), *other.get(i, [])] for i in ids}


@lru_cache(maxsize=8)
def _screened(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[bool, ...]]:
    """Each sentence's span, and whether it is kept (it does not address the grader); the last few
    answers are kept, since `_units` and `_dropped` read the same answer."""
    every = tuple(_spans(text))
    return every, tuple(not addresses_grader(text[a:b]) for a, b in every)


def _dropped(text: str) -> list[str]:
    """The sentences that address the grader (`_units` leaves them out)."""
    every, kept = _screened(text)
    return [text[a:b] for (a, b), ok in zip(every, kept, strict=True) if not ok]


def _headings(text: str, units: list[str]) -> set[int]:
    """Which sentences are Markdown headings (outside code fences, where `# ...` is a comment)."""
    heads, fenced = set(), False
    for line in text.splitlines():
        line = line.strip()
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and _HEADING.match(line):
            heads.add(line)
    return {i for i, unit in enumerate(units) if unit in heads}


def _with_pairs(vectors: Vectors, sentences: list[str], pairs: list[tuple[int, int]]) -> Vectors:
    """The sentence vectors, then one per pair of neighbours: the two sentences' vectors weighted by
    their length, as mean pooling over the pair's tokens would weigh them (the model runs once per
    sentence, not again on each pair)."""
    import numpy as np

    if not pairs:
        return vectors
    words = np.array([len(s.split()) for s in sentences], dtype=np.float32)[:, None]
    first, second = (np.array(side) for side in zip(*pairs, strict=True))
    joined = words[first] * vectors[first] + words[second] * vectors[second]
    joined /= np.clip(np.linalg.norm(joined, axis=1, keepdims=True), 1e-12, None)
    return np.vstack([vectors, joined]).astype(np.float32)


@cache
def topic_cues() -> dict[Topic, list[str]]:
    """Wordings that make a core topic's point in any case (`topic_cues.yaml`)."""
    raw = load_yaml((Path(__file__).parent / "topic_cues.yaml").read_text(encoding="utf-8"))
    return {Topic(topic): list(cues) for topic, cues in raw.items()}


@cache
def mistake_cues() -> dict[str, tuple[Topic, list[str]]]:
    """Wordings that state a core mistake in any case (`mistake_cues.yaml`), by the word a
    misconception's text must name for them to apply."""
    raw = load_yaml((Path(__file__).parent / "mistake_cues.yaml").read_text(encoding="utf-8"))
    return {word: (Topic(entry["topic"]), list(entry["cues"])) for word, entry in raw.items()}


def _mistake_cues(item: Misconception) -> list[str]:
    shared = [
        cue
        for word, (topic, cues) in mistake_cues().items()
        if item.topic is topic and re.search(rf"\b{word}\b", item.text, re.IGNORECASE)
        for cue in cues
    ]
    return [*item.cues, *shared]


def _cue_hit(cues: list[str], sentence: str) -> bool:
    return any(re.search(cue, sentence, re.IGNORECASE) for cue in cues)


#: "not" as one side of a choice ("relevant versus not relevant", "clicked or not"), no negation
_EITHER_NOT = re.compile(r"\b(?:versus|vs\.?|or)\s+not\b", re.IGNORECASE)


def _cue_stated(cues: list[str], sentence: str) -> bool:
    """A mistake said outright as the plan: a cue matches and the rest of the sentence does not
    argue against it ("never shuffle the rows"); the cue's own words ("BLEU against the agent's
    reply") and "not" as one side of a choice ("relevant versus not relevant") are no negation."""
    for cue in cues:
        for m in re.finditer(cue, sentence, re.IGNORECASE):
            rest = _EITHER_NOT.sub(" ", sentence[: m.start()] + " " + sentence[m.end() :])
            if not _NEGATION.search(rest):
                return True
    return False


#: terms that a bi-encoder reads as near each other and a reader as opposites: a sentence that names
#: only one side makes no point of an idea about the other ("positives are the watched videos" is not
#: where the negatives come from)
_OPPOSITES = (
    (re.compile(r"\bneg(ative)?s?\b", re.I), re.compile(r"\bpos(itive)?s?\b", re.I)),
    (re.compile(r"\boffline\b", re.I), re.compile(r"\bonline\b", re.I)),
)
#: how many times more often an idea names one side than the other for that side to be its subject
_DOMINANT = 2


def _opposite(item: ExpectedIdea | Misconception, sentence: str) -> bool:
    """Whether `sentence` names only the side of a pair of opposites that `item` is not about."""
    said = " ".join(item.lines)
    for one, other in _OPPOSITES:
        a, b = len(one.findall(said)), len(other.findall(said))
        for mine, theirs, n_mine, n_theirs in ((one, other, a, b), (other, one, b, a)):
            subject = n_mine >= _DOMINANT * max(n_theirs, 1)
            if subject and theirs.search(sentence) and not mine.search(sentence):
                return True
    return False


#: how close a question must come to a requirements idea to raise it by asking for its facts: looser
#: than a sentence on the stage's subject, since a question names the subject in a few words
ASKED_ON_SUBJECT = 0.3

#: how much closer than a made point a sentence must come to count for another stage's idea
CROSS_STAGE_EXTRA = 0.05


class EmbeddingAssessor:
    """Offline: each sentence (and pair of neighbouring sentences) is compared with every idea's
    phrasings, written, styled and as write-ups put them; it counts for its closest idea only. A
    close match is a made point, a looser one a shallow mention, and a cue (the idea said outright)
    a made point. A question proposes nothing, so it states no mistake by resemblance."""

    name = "offline"
    version = "embedding-v3"

    def __init__(
        self,
        threshold: float = 0.65,
        misconception_threshold: float = 0.62,
        shallow_threshold: float | None = 0.5,
        margin: float = 0.06,
        topic_threshold: float = 0.4,
    ) -> None:
        """Thresholds are cosine similarities, tuned on the judge set's dev split only: a made point,
        a misconception stated (and at least `margin` closer to the sentence than any idea is), a
        shallow mention, and a sentence on the stage's subject (`topic_threshold`: the answer is
        generic, not skipped)."""
        self.threshold = threshold
        self.misconception_threshold = misconception_threshold
        self.shallow_threshold = threshold if shallow_threshold is None else shallow_threshold
        self.margin = margin
        self.topic_threshold = topic_threshold

    def assess(self, case: Case, stage: Stage, text: str) -> Coverage:
        units, count, vectors = _answer(text)
        if not units:
            return Coverage(misconceptions=self._said_to_grader(case, stage, text))
        plan = case.plan(stage)
        headings = _headings(text, units[:count])
        idea_scores = _best_scores(vectors, _bank(plan.ideas))
        met: dict[str, list[str]] = {}
        shallow: dict[str, list[str]] = {}
        for n, idea in enumerate(plan.ideas):
            general = topic_cues().get(idea.topic, []) if idea.topic and idea.level is None else []
            cued = [
                i for i in range(count) if _cue_hit(idea.cues, units[i]) or _cue_stated(general, units[i])
            ]
            titled = [i for i in cued if i in headings]  # a heading only touches its idea
            cued = [i for i in cued if i not in headings]
            strong = [
                i
                for i, (best, score) in enumerate(idea_scores)
                if best == n and score >= self.threshold and not _opposite(idea, units[i])
            ]
            weak = [
                i
                for i, (best, score) in enumerate(idea_scores)
                if best == n and self.shallow_threshold <= score < self.threshold
            ]
            if quotes := _in_order(units, set(cued) | set(strong)):
                met[idea.id] = quotes
            elif quotes := _in_order(units, set(weak) | set(titled)):
                shallow[idea.id] = quotes
        for idea_id, questions in self._asked(case, stage, text).items():
            if idea_id not in met:
                shallow[idea_id] = [*shallow.get(idea_id, []), *questions]
        wrong = self._wrong(case, stage, units, vectors[:count], idea_scores)
        wrong = _joined(plan, wrong, self._said_to_grader(case, stage, text))
        _unclaim(plan, wrong, met)
        _unclaim(plan, wrong, shallow)
        # an idea only touched beside a mistake of its topic is no point of it ("velocity counts per
        # card" reads a little like the time split that the shuffled split two lines down breaks)
        stated = {m.topic for m in plan.misconceptions if m.id in wrong}
        shallow = {i.id: shallow[i.id] for i in plan.ideas if i.id in shallow and i.topic not in stated}
        on_topic = any(score >= self.topic_threshold for _, score in idea_scores)
        return Coverage(met=met, shallow=shallow, misconceptions=wrong, on_topic=on_topic)

    def _asked(self, case: Case, stage: Stage, text: str) -> dict[str, list[str]]:
        """Requirements ideas the answer raises by asking for their facts: a question that the
        requirement sheet answers with one of the idea's facts and that is on the idea's subject
        (`ASKED_ON_SUBJECT`; "click the carousel more?" asks about the goal, not about labels)."""
        if stage is not Stage.clarifying_requirements:
            return {}
        from knowledge.embedding import minilm

        ideas = case.plan(stage).ideas
        banks = dict(zip((i.id for i in ideas), _bank(ideas), strict=True))
        asked = ideas_asked(case, text)
        distinct = list(dict.fromkeys(q for questions in asked.values() for q in questions))
        if not distinct:
            return {}
        vectors = dict(zip(distinct, minilm().embed([spelled_out(q) for q in distinct]), strict=True))
        out: dict[str, list[str]] = {}
        for idea_id, questions in asked.items():
            bank = banks[idea_id]
            if on_subject := [q for q in questions if (vectors[q] @ bank.T).max() >= ASKED_ON_SUBJECT]:
                out[idea_id] = on_subject
        return out

    def _said_to_grader(self, case: Case, stage: Stage, text: str) -> dict[str, list[str]]:
        """Mistakes stated in sentences addressed to the grader: such a sentence earns nothing, but
        dropping it must not hide a mistake (that would let an injection raise a grade)."""
        dropped = _dropped(text)
        if not dropped:
            return {}
        from knowledge.embedding import minilm

        vectors = minilm().embed([spelled_out(sentence) for sentence in dropped])
        return self._wrong(
            case, stage, dropped, vectors, _best_scores(vectors, _bank(case.plan(stage).ideas))
        )

    def _wrong(
        self,
        case: Case,
        stage: Stage,
        units: list[str],
        sentence_vectors: Vectors,
        idea_scores: list[tuple[int, float]],
    ) -> dict[str, list[str]]:
        """Sentences that state a misconception as the plan: close to it, closer than to any idea by
        `margin` (an idea of any stage: "retrain daily" in model development is the deployment
        stage's point, not the weekly retrain), and not negated ("never shuffle" is not the shuffled
        split). `idea_scores` holds each unit's closest idea of this stage, the sentences first."""
        plan = case.plan(stage)
        count = len(sentence_vectors)
        wrong_scores = _best_scores(sentence_vectors, _bank(plan.misconceptions))
        elsewhere = [idea for other in case.stages if other is not stage for idea in case.plan(other).ideas]
        idea_best = [
            max(here, there)
            for (_, here), (_, there) in zip(
                idea_scores[:count], _best_scores(sentence_vectors, _bank(elsewhere)), strict=True
            )
        ]
        out: dict[str, list[str]] = {}
        for n, item in enumerate(plan.misconceptions):
            close = {
                i
                for i, (best, score) in enumerate(wrong_scores)
                if best == n
                and score >= self.misconception_threshold
                and score >= idea_best[i] + self.margin
                and not _NEGATION.search(units[i])
                and not _opposite(item, units[i])
                and not units[i].rstrip().endswith("?")  # a question asks; it proposes nothing
            }
            if item.exclusive and any(
                i not in close and score >= self.shallow_threshold
                for i, (_, score) in enumerate(idea_scores[:count])
            ):  # "- latency, error rate" beside "- fraud rate, decline rate" is no "only latency"
                close = set()
            cued = {i for i in range(count) if _cue_stated(_mistake_cues(item), units[i])}
            if quotes := _in_order(units, close | cued):
                out[item.id] = quotes
        return out

    def elsewhere(self, case: Case, stage: Stage, text: str) -> dict[Stage, dict[str, list[str]]]:
        """Ideas of the other stages that an answer to `stage` makes (a time split named while
        framing the task): each from a sentence close to that idea, by a stricter bar than a made
        point, and closer to it by `margin` than to any idea of its own stage; not a question, not
        negated. Cues do not count here: they say an idea outright only in its own stage's context
        ("feature store" in a list of the infrastructure is not a point about skew)."""
        units, _, vectors = _answer(text)
        if not units:
            return {}
        own = _best_scores(vectors, _bank(case.plan(stage).ideas))
        bar = self.threshold + CROSS_STAGE_EXTRA
        out: dict[Stage, dict[str, list[str]]] = {}
        for other in case.stages:
            ideas = case.plan(other).ideas
            if other is stage or not ideas:
                continue
            for i, (best, score) in enumerate(_best_scores(vectors, _bank(ideas))):
                said = units[i]
                if score < bar or score < own[i][1] + self.margin or _NEGATION.search(said):
                    continue
                if not said.rstrip().endswith("?"):
                    out.setdefault(other, {}).setdefault(ideas[best].id, []).append(said)
        return out


#: how much looser than the stage judge's bars a deep dive's point is read: each point is one written
#: line, without the phrasings in other styles that an idea is also compared with
DIVE_SLACK = 0.08


#: an answer to a question on one idea is read in the light of that question, as an interviewer
#: reads it: a sentence this close to the idea, and not much closer to another idea of the stage,
#: makes it
PROBE_BAR = 0.45
PROBE_MARGIN = 0.12


def answers_probe(case: Case, stage: Stage, idea_id: str, text: str) -> list[str]:
    """The sentences of an answer to a question on `idea_id` that answer it ("candidate generation
    is a retrieval problem, the ranker a multi-output pointwise model" after "what does each stage
    learn?"), at a looser bar than an unprompted point; a question, a negation or the opposite side
    of the idea answers nothing."""
    plan = case.plan(stage)
    ids = [i.id for i in plan.ideas]
    units, count, vectors = _answer(text)
    if idea_id not in ids or not count:
        return []
    n = ids.index(idea_id)
    idea = plan.ideas[n]
    scores = _similarities(vectors[:count], _bank(plan.ideas))
    return [
        units[i]
        for i in range(count)
        if scores[i, n] >= PROBE_BAR
        and scores[i].max() - scores[i, n] <= PROBE_MARGIN
        and not units[i].rstrip().endswith("?")
        and not negated(units[i])
        and not _opposite(idea, units[i])
    ]


def points_made(
    points: Sequence[str], text: str, judge: EmbeddingAssessor | None = None, slack: float = DIVE_SLACK
) -> list[str | None]:
    """Per point (a line of what a strong answer covers, outside any case plan), whether `text`
    makes it ("made"), only touches it ("touched") or neither, by its closest sentence, at the stage
    judge's bars less `slack`. A deep dive's answer is read this way; the marks are shown, not scored."""
    judge = judge or EmbeddingAssessor()
    units, _, _ = _answer(text)
    if not units or not points:
        return [None] * len(points)
    vectors = _with_clauses(text)
    made, touched = judge.threshold - slack, judge.shallow_threshold - slack
    out: list[str | None] = []
    for point in points:
        best = float((vectors @ _embedded((point, *_clauses(point))).T).max())
        out.append("made" if best >= made else "touched" if best >= touched else None)
    return out


def answered_parts(dive: DeepDive, made: Sequence[int]) -> list[int]:
    """The parts of a deep dive's question that the candidate's answers already cover: those whose
    closest point of a strong answer (`look_for`, by meaning) is among the points `made` ("how would
    you shard it" after "sharded by vector id across machines"), so the dive does not ask them again."""
    parts = dive.parts()
    if len(parts) < 2 or not made:
        return []
    scores = _embedded(tuple(parts)) @ _embedded(tuple(dive.look_for)).T
    return [n for n, row in enumerate(scores) if int(row.argmax()) in made]


def _clauses(text: str, mark: str = ";") -> tuple[str, ...]:
    """The clauses of a line that `mark` joins, each of four words or more, when there are several:
    a dive's point joined by semicolons ("Shard across machines, fan each query out and merge the
    top-k; replicate the shards until …"), or an answer's sentence by commas ("The index is HNSW,
    sharded by vector id across machines, with each query fanned out to every shard"). A point made
    in one clause reads far from the whole line."""
    parts = tuple(p.strip() for p in text.split(mark) if len(p.split()) >= 4)
    return parts if len(parts) > 1 else ()


def forget_answers() -> None:
    """Drop the kept answers' vectors (a benchmark measures each answer from scratch)."""
    _answer.cache_clear()
    _with_clauses.cache_clear()
    _screened.cache_clear()


@lru_cache(maxsize=8)
def _with_clauses(text: str) -> Vectors:
    """An answer's unit vectors, then one per comma clause of each sentence that has several ("…,
    sharded by id across machines, with each query fanned out to every shard"): how a deep dive's
    points are read. Kept for the last few answers, since every component the candidate proposed
    reads the same answer."""
    import numpy as np

    from knowledge.embedding import minilm

    units, count, vectors = _answer(text)
    parts = [part for unit in units[:count] for part in _clauses(unit, ",")]
    if not parts:
        return vectors
    return np.vstack([vectors, minilm().embed([spelled_out(part) for part in parts])])


@lru_cache(maxsize=8)
def _answer(text: str) -> tuple[list[str], int, Vectors]:
    """An answer's units (sentences, then neighbouring pairs), how many are sentences, and their
    vectors; the last few answers are kept (the turn's judge and the credit to other stages read
    the same answer). Callers do not change what they get."""
    import numpy as np

    from knowledge.embedding import DIMENSIONS, minilm

    units, pairs = _units(text)
    count = len(units) - len(pairs)
    if not units:  # nothing to embed: the model is not loaded for it
        return units, 0, np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = minilm().embed([spelled_out(unit) for unit in units[:count]])
    return units, count, _with_pairs(vectors, units[:count], pairs)


def _unclaim(plan: StagePlan, wrong: dict[str, list[str]], found: dict[str, list[str]]) -> None:
    """A sentence that states a mistake is no evidence for any idea: not for one of its topic ("shuffle
    them randomly and do 80/10/10" is close in meaning to the time split, and is its opposite), nor
    for another (a feature list that includes a leaky feature is not quoted as done well)."""
    bad = {q for m in plan.misconceptions for q in wrong.get(m.id, [])}
    for idea in plan.ideas:
        if bad and idea.id in found:
            kept = [q for q in found[idea.id] if not any(b in q for b in bad)]
            if kept:
                found[idea.id] = kept
            else:
                del found[idea.id]


def restates(item: Misconception, text: str, floor: float = 0.5) -> bool:
    """Whether `text` still argues for the mistake: a sentence not negated that says it outright
    or comes near it in meaning (a looser bar than `EmbeddingAssessor` flags at: a defence of the
    mistake is seldom worded like the mistake). A reply that opens by conceding ("right, with 0.1%
    fraud a model that approves everything is 99.9% accurate") and never turns back ("but",
    "still") explains the mistake, even in its words."""
    from knowledge.embedding import minilm

    if _CONCEDES.match(text) and not _TURNS_BACK.search(text):
        return False
    units = sentences(text)
    if any(_cue_stated(item.cues, u) for u in units):
        return True
    said = [u for u in units if not _NEGATION.search(u)]
    return bool(said) and any(
        score >= floor for _, score in _best_scores(minilm().embed(said), _bank([item]))
    )


#: a reply that opens by granting the challenge
_CONCEDES = re.compile(
    r"\W*(ok(ay)?|right|true|fair( point| enough)?|good (point|catch)|you'?re right|agreed|indeed|hmm+"
    r"|ah+|oh|yes|yeah|i see|that'?s (true|right|fair)|makes sense)\b",
    re.IGNORECASE,
)
#: ... and then defends the mistake after all
_TURNS_BACK = re.compile(r"\b(but|still|anyway|stick with|keep (it|using|that))\b", re.IGNORECASE)


def meets_correction(item: Misconception, text: str, floor: float = 0.5) -> bool:
    """Whether a sentence of `text` says what the misconception's correction says (a reply that fixes
    the leaky traffic feature reads close to "join the snapshot archived before the order")."""
    from knowledge.embedding import minilm

    units = sentences(text)
    return bool(units) and any(
        score >= floor for _, score in _best_scores(minilm().embed(units), [_embedded((item.correction,))])
    )


def negated(sentence: str) -> bool:
    """Whether a sentence argues against what it names ("never shuffle", "no feature store")."""
    return bool(_NEGATION.search(sentence))


def _best_scores(vectors: Vectors, banks: list[Vectors]) -> list[tuple[int, float]]:
    """Per unit, its closest item and that similarity (each unit counts for one item only, so a
    sentence about one idea does not also count for a neighbouring idea of the same stage)."""
    if not banks or not len(vectors):
        return []
    return [(int(row.argmax()), float(row.max())) for row in _similarities(vectors, banks)]


def _similarities(vectors: Vectors, banks: list[Vectors]) -> Vectors:
    """Per unit (row) and item (column), the unit's similarity to the item's closest phrasing."""
    import numpy as np

    return np.stack([(vectors @ bank.T).max(axis=1) for bank in banks], axis=1)


def _in_order(units: list[str], hits: set[int]) -> list[str]:
    return list(dict.fromkeys(units[i] for i in sorted(hits)))


def _bank(items: Sequence[ExpectedIdea | Misconception]) -> list[Vectors]:
    """Per item, its text and phrasings embedded (once per distinct item: the plan an interview sees
    depends on its level and curveball, so items, not stages, are the cache's key)."""
    return [_embedded(i.lines) for i in items]


@cache
def _embedded(texts: tuple[str, ...]) -> Vectors:
    from knowledge.embedding import minilm

    return minilm().embed(list(texts))
