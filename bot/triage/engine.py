"""Triage of a member's message in its conversation: the clinical table decides, the classifier may raise.

For each message the reader (bot/triage/reader.py) finds the clinical findings present now and the
risk modifiers; each finding's disposition follows its first-order modifiers (bot/triage/table.py).
The classifier (bot/triage/classifier.py), run on the whole message and on each of its sentences,
may raise the result, never lower it ("when in doubt, the more urgent disposition wins"); it may not
raise to a level that the table looked at and set aside (denied, past, hypothetical, an idiom)
unless it is very sure.

A conversation's request is an episode: the findings and modifiers of its messages add up ("mon
père a 80 ans" then "il prend du coumadin" then "il s'est cogné la tête"), a later message that
denies a finding takes it back ("non, il respire"), and one that places the previous message in
the past takes that message back ("c'était il y a 5 ans"). Each message is stored as a `Turn`:
ids and levels only, never the member's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.platform.text import normalise
from bot.triage.classifier import DispositionClassifier, cached, peaks
from bot.triage.dispositions import Disposition, most_urgent
from bot.triage.patterns import TableError
from bot.triage.reader import DENIED, Reader, Reading
from bot.triage.table import Table, load_table

URGENT = (Disposition.NEUF_UN_UN, Disposition.CRISE, Disposition.URGENCE)
MIND_SYSTEMS = frozenset({"sante_mentale", "securite"})  # where the table's crises are
_SENTENCE = re.compile(r"(?<=[.!?;\n])\s+|\n+")
MAX_TURNS = 8  # messages of one request kept for the episode
SHORT_REQUEST = 8  # words: "je voudrais parler à une personne svp" is a request and nothing else


@dataclass(frozen=True)
class ClassifierPolicy:
    """How the classifier's probabilities may raise a disposition (safety/classifier.yml)."""

    min_confidence: float  # the top disposition counts when the classifier is at least this sure
    raise_thresholds: Mapping[Disposition, float]  # any of these reaching its threshold raises to it
    sentence_thresholds: Mapping[Disposition, float]  # the same for one sentence of a long message
    strong: float  # sure enough to raise past what the table set aside
    sure_alone: float  # sure enough of one message read alone for it to count in a conversation
    crisis_911: float  # the 911 raise threshold when the table found a crisis and no act under way
    uncertain_health: Disposition | None  # a health message the classifier does not understand
    red_flag_mass: float  # urgent probability that makes the bot ask a red-flag question
    care_threshold: float = 1.1  # P(not info) that makes a message need a professional
    # modifiers that make a known question about a minor problem the answer's: "il joue", "after my shot"
    self_care_modifiers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Turn:
    """One message's part in its episode, as stored in the conversation (ids and levels only)."""

    present: tuple[str, ...] = ()
    denied: tuple[str, ...] = ()
    modifiers: tuple[str, ...] = ()
    classifier: str | None = None  # the level the classifier alone gave this message, if any
    sure: bool = False  # the classifier was sure of this message read alone (counts even in a story)
    correction: bool = False
    # a question the bot answers ("c'est où la coop la plus proche?") or a bare reply ("J9X 2B3", "oui")
    ordinary: bool = False
    # it only denies signs, as an answer to the bot's red-flag question ("non il respire ben, pas les lèvres enflées")
    denial: bool = False

    def to_record(self) -> dict[str, Any]:
        return {
            "constats": list(self.present),
            "nies": list(self.denied),
            "modificateurs": list(self.modifiers),
            "classifieur": self.classifier,
            "sur": self.sure,
            "correction": self.correction,
            "ordinaire": self.ordinary,
            "denegation": self.denial,
        }

    @classmethod
    def from_record(cls, record: Any) -> Turn | None:
        if not isinstance(record, Mapping):
            return None
        return cls(
            present=tuple(str(x) for x in record.get("constats") or ()),
            denied=tuple(str(x) for x in record.get("nies") or ()),
            modifiers=tuple(str(x) for x in record.get("modificateurs") or ()),
            classifier=str(record["classifieur"]) if record.get("classifieur") else None,
            sure=bool(record.get("sur")),
            correction=bool(record.get("correction")),
            ordinary=bool(record.get("ordinaire")),
            denial=bool(record.get("denegation")),
        )


@dataclass(frozen=True)
class Decision:
    """A disposition and the factors that produced it (Law 25, s. 12.1)."""

    disposition: Disposition  # for the whole request, this message included
    message_disposition: Disposition  # what this message alone calls for
    source: str  # "constat", "classifieur", "conversation" or "defaut"
    findings: tuple[str, ...] = ()  # the findings that set the disposition
    modifiers: tuple[str, ...] = ()
    set_aside: tuple[str, ...] = ()  # findings seen but denied, past or hypothetical
    probabilities: Mapping[str, float] = field(default_factory=dict)
    raised_by: tuple[str, ...] = ()
    ask_red_flags: bool = False
    resources: tuple[str, ...] = ()  # what the reply adds: Centre antipoison, SOS violence conjugale...
    turn: Turn = field(default_factory=Turn)

    def as_record(self) -> dict[str, Any]:
        """The reason as stored in the conversation and logs: codes and numbers, no message text."""
        return {
            "disposition": self.disposition.value,
            "message": self.message_disposition.value,
            "source": self.source,
            "constats": list(self.findings),
            "constats_message": list(self.turn.present),
            "modificateurs": list(self.modifiers),
            "ecartes": list(self.set_aside),
            "classifieur": {k: round(v, 3) for k, v in self.probabilities.items() if v >= 0.01},
            "hausse_par": list(self.raised_by),
            "question_alarme": self.ask_red_flags,
            "ressources": list(self.resources),
        }


class Triage:
    """Decides dispositions. Pure and fast: no I/O after loading."""

    def __init__(self, table: Table, classifier: DispositionClassifier | None, policy: ClassifierPolicy) -> None:
        self.table = table
        self.reader = Reader(table)
        self.classifier = classifier
        self.policy = policy
        self.requests = frozenset(f.id for f in table.findings if f.system == "demandes")
        self.mind = frozenset(f.id for f in table.findings if f.system in MIND_SYSTEMS)

    # ------------------------------------------------------------------ one message
    def read(self, message: str) -> Reading:
        return self.reader.read(message)

    def rule_level(
        self, present: Iterable[str], modifiers: Iterable[str]
    ) -> tuple[Disposition | None, tuple[str, ...]]:
        """The most urgent level the present findings call for, and the findings that call for it."""
        present = tuple(present)
        if not present:
            return None, ()
        context = frozenset(present) | frozenset(modifiers)
        levels = {f: self.table.finding(f).level_with(context) for f in present}
        top = most_urgent(*levels.values())
        return top, tuple(sorted(f for f, level in levels.items() if level == top))

    def probabilities(self, message: str) -> tuple[dict[Disposition, float], dict[Disposition, float]]:
        """The classifier's probabilities for the whole message, and their peaks over its sentences."""
        if self.classifier is None:
            return {}, {}
        sentences = [s for s in _SENTENCE.split(message or "") if len(s.split()) >= 3]
        texts = [message, *sentences] if len(sentences) > 1 else [message]
        rows = self.classifier.probabilities(texts)
        return rows[0], peaks(rows[1:]) if len(rows) > 1 else {}

    def _present_levels(self, reading: Reading) -> set[Disposition]:
        """The levels the findings present call for, with the message's modifiers."""
        context = reading.present | reading.modifiers
        return {self.table.finding(f).level_with(context) for f in reading.present}

    def _vetoed(self, reading: Reading, present_levels: set[Disposition]) -> set[Disposition]:
        """Levels the classifier may reach only when it is very sure: those the table set aside."""
        # Only the urgent levels: "elle n'a pas le cou raide" must not keep a feverish child from a nurse.
        vetoed = ({self.table.finding(f).level for f in reading.set_aside} & set(URGENT)) - present_levels
        if reading.figurative and not reading.present:
            vetoed |= set(URGENT)
        return vetoed

    def _classifier_level(
        self,
        reading: Reading,
        whole: Mapping[Disposition, float],
        sentences: Mapping[Disposition, float],
        ordinary: bool = False,
    ) -> tuple[Disposition | None, tuple[str, ...]]:
        if not whole or not reading.substantial:
            return None, ()  # "1", "oui", "pour moi": an answer to a question says nothing the classifier can read
        policy = self.policy
        present_levels = self._present_levels(reading)
        vetoed = self._vetoed(reading, present_levels)
        # The table found a crisis and no act under way (911).
        crisis_found = Disposition.CRISE in present_levels and Disposition.NEUF_UN_UN not in present_levels
        locked: set[Disposition] = set()  # vetoed levels that even a sure classifier may not reach
        if ordinary and not reading.present:
            # "c ouvert jusqua kelle heure a soir", "jmet tu du beurre sur une brulure": a question the
            # bot answers, where the table found nothing; the classifier alone needs to be very sure to
            # make it an emergency, or, when it says nothing of the body, to pass it to a professional.
            vetoed |= {Disposition.NEUF_UN_UN, Disposition.URGENCE}
            if not reading.health:
                vetoed |= {Disposition.CLINICIEN, Disposition.CONSULTATION}
                # Nothing of the body, no finding, a known question: however sure, the classifier alone
                # does not make it an emergency ("c ouvert jusqua kelle heure a soir" read 0.82 urgence).
                # A sure "consultation" still counts ("I need my cholesterol meds reviewed").
                locked |= {Disposition.NEUF_UN_UN, Disposition.URGENCE}
        if ordinary and present_levels <= {Disposition.INFO} and reading.modifiers & policy.self_care_modifiers:
            # "38,2 depuis à matin, je mange pis je bois correct, après combien de jours m'inquiéter?": a
            # question the bot answers, about someone doing well, where the table found nothing above
            # self-care. The answer and its safety net, unless the classifier is very sure.
            vetoed |= set(URGENT) | {Disposition.CLINICIEN, Disposition.CONSULTATION}
        if ordinary and not crisis_found:
            # "mon bébé de 9 mois fait 38.3, je lui donne quoi": the same for a crisis. Crises hidden in
            # a coop question ("cancel all my appointments, I won't be around") are the table's to find.
            vetoed.add(Disposition.CRISE)
        bare_request = reading.present and reading.present <= self.requests and not reading.health
        if bare_request and reading.words <= SHORT_REQUEST:
            # "je veux parler à une personne": a bare request the table reads whole; the classifier alone
            # must be very sure to make it a crisis or an emergency.
            vetoed |= set(URGENT)

        def allowed(level: Disposition, p: float) -> bool:
            return level not in vetoed or (level not in locked and p >= policy.strong)

        candidates: list[tuple[str, Disposition]] = []
        top = max(whole, key=lambda d: whole[d])
        if whole[top] >= policy.min_confidence and allowed(top, whole[top]):
            candidates.append(("classifieur", top))
        # The classifier itself reads a crisis ("I just want to disappear"): as when the table finds one,
        # 911 needs the classifier to be sure of an act under way.
        crisis_read = crisis_found or (top == Disposition.CRISE and whole[top] >= policy.min_confidence)
        # The table read an accident of the body and nothing of the mind ("ma fille de 7 ans a bu du
        # lave-vitre"): a crisis needs the classifier's top reading, not a trace of the words it shares with one.
        bodily_only = bool(reading.present - self.requests) and not reading.present & self.mind
        for level, threshold in policy.raise_thresholds.items():
            if level == Disposition.NEUF_UN_UN and crisis_read:
                threshold = max(threshold, policy.crisis_911)
            if level == Disposition.CRISE and bodily_only:
                threshold = max(threshold, policy.min_confidence)
            p = _at_least(whole, level)
            if p >= threshold and allowed(level, whole.get(level, 0.0)):
                candidates.append((f"classifieur_{level.value}", level))
        care = 1.0 - whole.get(Disposition.INFO, 1.0)
        if care >= policy.care_threshold:
            need = max((Disposition.CLINICIEN, Disposition.CONSULTATION), key=lambda d: whole.get(d, 0.0))
            if allowed(need, whole.get(need, 0.0)):
                candidates.append(("besoin_de_soins", need))
        for level, threshold in policy.sentence_thresholds.items():
            p = sentences.get(level, 0.0)
            if p >= threshold and allowed(level, p):
                candidates.append((f"phrase_{level.value}", level))
        # A question the answer finder knows is answered with its safety net, not sent on as "uncertain".
        if (
            not candidates
            and not reading.present
            and reading.health
            and not ordinary
            and policy.uncertain_health is not None
        ):
            candidates.append(("sante_incertain", policy.uncertain_health))
        if not candidates:
            return None, ()
        level = most_urgent(*(d for _, d in candidates))
        raised_by = tuple(name for name, d in candidates if d == level)
        if (
            ordinary
            and level == Disposition.CLINICIEN
            and present_levels <= {Disposition.INFO}
            and whole.get(Disposition.CLINICIEN, 0.0) < policy.strong
        ):
            # "j'ai 38.2 depuis hier soir, à partir de quand je m'inquiète?": a question the bot answers,
            # where the table found nothing above self-care, and the classifier unsure that it needs a
            # nurse today. The answer and its safety net, then a booking (TRIAGE.md scores clinicien and
            # consultation as one level), rather than a nurse's time.
            level = Disposition.CONSULTATION
        return level, raised_by

    # ------------------------------------------------------------------ in its conversation
    def decide(
        self, message: str, history: Sequence[Turn] = (), earlier: Sequence[str] = (), ordinary: bool = False
    ) -> Decision:
        """The disposition of `message` in its request: `history` holds the request's earlier turns and
        `earlier` their texts when known (the classifier then reads the request as one story, as its
        training messages are written, rather than "il boit bien, il est grognon" alone). `ordinary`:
        the answer finder reads the message as one of the questions the bot answers."""
        reading = self.read(message)
        whole, sentences = self.probabilities(message)
        classifier_level, raised_by = self._classifier_level(reading, whole, sentences, ordinary)
        # A correction ("ok non fausse alerte, il respire normalement") takes back the message before, and
        # says nothing itself that the table finds: the classifier, which reads the alarm's words again,
        # has nothing to add.
        describes = bool(reading.present - self.requests)  # the table found something besides a request
        takes_back = reading.correction and (reading.retraction or not describes)
        if takes_back and reading.retraction and history and not describes:
            classifier_level, raised_by = None, ()
        # "non je respire ben pis j'ai pas les lèvres enflées": a reply that only denies the signs asked about.
        # The table takes them back; the classifier, which reads the alarm words again, has nothing to add.
        denial = (
            bool(history)
            and not describes
            and not takes_back
            and bool(reading.set_aside)
            and set(reading.set_aside.values()) == {DENIED}
            and reading.answers_no
        )
        if denial:
            classifier_level, raised_by = None, ()
        rules_level, _ = self.rule_level(reading.present, reading.modifiers)
        message_level = most_urgent(rules_level, classifier_level)
        turn = Turn(
            present=tuple(sorted(reading.present)),
            denied=tuple(sorted(f for f, why in reading.set_aside.items() if why == DENIED)),
            modifiers=tuple(sorted(reading.modifiers)),
            classifier=classifier_level.value if classifier_level else None,
            sure=classifier_level is not None and max(whole.values()) >= self.policy.sure_alone,
            # A correction that describes something else takes back the message before only when it says
            # so at once ("je me suis mal exprimée, il a mal aux côtes"): its own findings stand.
            correction=takes_back,
            ordinary=ordinary or not reading.substantial,
            denial=denial,
        )
        history = history[-(MAX_TURNS - 1) :]
        turns = [*history, turn]
        present, modifiers, classifier_levels, cancelled = _episode(turns)
        episode_rules, findings = self.rule_level(present, modifiers)
        # A bare correction or denial is out of the story too: it repeats the alarm's words to take them back.
        bare_corrections = {
            i
            for i, t in enumerate(turns)
            if (t.correction or t.denial) and not set(t.present) - self.requests and not t.classifier
        }
        left_out = cancelled | bare_corrections
        story = _story([*_aligned(earlier, len(history)), message], left_out)
        # A conversation made only of questions the bot answers and bare replies ("je cherche la coop la
        # plus proche" then "J9X 2B3") is read as one such question.
        kept = [t for i, t in enumerate(turns) if i not in left_out]
        story_ordinary = ordinary or all(t.ordinary for t in kept)
        # The story read as a whole may only raise: when the table already calls for 911 there is
        # nothing above it, and the longest reading of a turn is skipped (the answer is the same).
        if story is not None and episode_rules != Disposition.NEUF_UN_UN:
            # The request read as one story; a message read alone counts only where the classifier was sure.
            story_reading = self.read(story)
            story_whole, story_sentences = self.probabilities(story)
            story_level, story_raised = self._classifier_level(
                story_reading, story_whole, story_sentences, story_ordinary
            )
            vetoed = self._vetoed(story_reading, self._present_levels(story_reading))
            classifier_levels = [story_level] if story_level else []
            classifier_levels += [d for d in _episode(turns, sure_only=True)[2] if d not in vetoed]
            if story_level is not None and story_level != classifier_level:
                classifier_level, raised_by = story_level, story_raised
        episode_classifier = most_urgent(*classifier_levels) if classifier_levels else None
        if (
            history
            and episode_classifier == Disposition.NEUF_UN_UN
            and "bon_etat" in reading.modifiers
            and not reading.present - self.requests
        ):
            # "il a 18 mois, il a l'air correct, il joue": the latest message says the person is doing
            # well and names no sign. The story read by the classifier alone then calls for the ER, not
            # 911; a sign of the table still decides 911.
            episode_classifier = Disposition.URGENCE
        disposition = most_urgent(episode_rules, episode_classifier)

        if episode_rules is not None and disposition == episode_rules:
            source = "constat" if set(findings) & reading.present or not history else "conversation"
        elif episode_classifier is not None and disposition == episode_classifier:
            source = "classifieur" if classifier_level == disposition else "conversation"
        else:
            source, findings = "defaut", ()
        urgent_mass = sum(whole.get(d, 0.0) for d in URGENT)
        ask = (
            disposition in (Disposition.CLINICIEN, Disposition.CONSULTATION)
            and (bool(reading.present - self.requests) or reading.health)
            and (source != "constat" or urgent_mass >= self.policy.red_flag_mass)
        )
        return Decision(
            disposition=disposition,
            message_disposition=message_level,
            source=source,
            findings=findings if source in ("constat", "conversation") and episode_rules == disposition else (),
            modifiers=tuple(sorted(modifiers)),
            set_aside=tuple(sorted(reading.set_aside)),
            probabilities={d.value: p for d, p in whole.items()},
            raised_by=raised_by if source == "classifieur" else (),
            ask_red_flags=ask,
            resources=tuple(sorted({r for f in present for r in self.table.finding(f).resources})),
            turn=turn,
        )

    def labels(self, finding_ids: Iterable[str], language: str = "fr") -> list[str]:
        """What the member described, in their language, for explanations."""
        out = []
        for finding_id in finding_ids:
            try:
                out.append(self.table.finding(finding_id).label.get(language, ""))
            except KeyError:
                continue
        return [label for label in out if label]


def _at_least(probabilities: Mapping[Disposition, float], level: Disposition) -> float:
    """The probability of `level`; for urgence, of urgence or 911 (both are medical emergencies)."""
    p = probabilities.get(level, 0.0)
    if level == Disposition.URGENCE:
        p += probabilities.get(Disposition.NEUF_UN_UN, 0.0)
    return p


def _episode(turns: Sequence[Turn], sure_only: bool = False) -> tuple[set[str], set[str], list[Disposition], set[int]]:
    """The findings still standing, the modifiers, the classifier levels of an episode's turns (of
    those the classifier was sure of, with `sure_only`), and the turns taken back.

    A later denial takes back the same finding, and a message all of whose findings were denied since;
    a correction ("c'était l'an passé") takes back the latest earlier message that had findings or a
    classifier level.
    """
    cancelled: set[int] = set()
    denied_after: dict[int, set[str]] = {}
    for i, turn in enumerate(turns):
        if turn.correction:
            for j in range(i - 1, -1, -1):
                if j not in cancelled and (turns[j].present or turns[j].classifier):
                    cancelled.add(j)
                    break
        for j in range(i):
            denied_after.setdefault(j, set()).update(turn.denied)
    for i, turn in enumerate(turns):
        if turn.present and set(turn.present) <= denied_after.get(i, set()):
            cancelled.add(i)  # everything it said was denied since ("she didn't pass out"): out of the story too
    present: set[str] = set()
    modifiers: set[str] = set()
    levels: list[Disposition] = []
    for i, turn in enumerate(turns):
        modifiers.update(turn.modifiers)
        if i in cancelled:
            continue
        kept = set(turn.present) - denied_after.get(i, set())
        present |= kept
        taken_back = set(turn.present) & denied_after.get(i, set())
        if turn.classifier and not taken_back and (turn.sure or not sure_only):
            levels.append(Disposition.parse(turn.classifier))
    return present, modifiers, levels, cancelled


def _aligned(texts: Sequence[str], count: int) -> list[str]:
    """The texts of the last `count` turns; turns whose text is unknown get an empty one."""
    known = list(texts[-count:]) if count else []
    return [""] * (count - len(known)) + known


def _story(texts: Sequence[str], cancelled: set[int]) -> str | None:
    """The request's messages as one text, without those taken back; None for a single message."""
    kept = [t.strip() for i, t in enumerate(texts) if i not in cancelled and t.strip()]
    if len(kept) < 2:
        return None
    return " ".join(t if t[-1] in ".!?;" else t + "." for t in kept)


def load_policy(path: Path) -> ClassifierPolicy:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return ClassifierPolicy(
            min_confidence=float(data["min_confidence"]),
            raise_thresholds={Disposition.parse(str(k)): float(v) for k, v in data["raise_thresholds"].items()},
            sentence_thresholds={
                Disposition.parse(str(k)): float(v) for k, v in (data.get("sentence_thresholds") or {}).items()
            },
            strong=float(data.get("strong", 0.8)),
            sure_alone=float(data.get("sure_alone", 0.9)),
            crisis_911=float(data.get("crisis_911", 0.3)),
            uncertain_health=Disposition.parse(str(data["uncertain_health"])) if data.get("uncertain_health") else None,
            red_flag_mass=float(data.get("red_flag_mass", 0.1)),
            care_threshold=float(data.get("care_threshold", 1.1)),
            self_care_modifiers=frozenset(str(m) for m in data.get("self_care_modifiers") or ()),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TableError(f"{path}: {exc}") from exc


def load_triage(safety_dir: Path, cache_dir: Path | None = None, with_classifier: bool = True) -> Triage:
    """The clinical table, the classifier policy and the classifier (trained and cached if needed)."""
    table = load_table(safety_dir)
    policy = load_policy(safety_dir / "classifier.yml")
    unknown = policy.self_care_modifiers - {m.id for m in table.modifiers}
    if unknown:
        raise TableError(f"classifier.yml: self_care_modifiers: unknown modifiers {sorted(unknown)}")
    classifier = None
    if with_classifier:
        cache = cache_dir or safety_dir.parent / "models"
        classifier = cached(safety_dir / "corpus", cache)
    return Triage(table, classifier, policy)


def normalised(message: str) -> str:
    return normalise(message)
