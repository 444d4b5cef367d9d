"""One phone call, in plain Python: what the caller said, read; what the line says and does next.

The channel (channels/voice.py) handles HTTP, signatures, Redis and Rasa. Here: the call's own
state (the last thing said, for "répétez"; the menu on offer; silences in a row; a yes/no question
of the phone line itself), what an answer means, and after each bot turn whether to listen,
transfer or hang up. Triage is the bot's: the line only reads the emergency level the bot marked
on its answer (`urgence` on a message), and says a 911 answer twice before hanging up, since Twilio
cannot call 911 for the caller.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

from bot.content import Coop
from bot.dialogue import words
from bot.platform.language import ENGLISH, FRENCH
from bot.sms.conversation import BotMessage
from bot.voice.speech import Ear
from bot.voice.words import choice_index, command, keyed_birth_date, spoken_birth_date

CRISIS_LINE = "+18662773553"  # 1 866 APPELLE, the suicide prevention line
SILENCES_BEFORE_OFFER = 2  # the second silence in a row offers a person; the next one ends the call
ENGLISH_KEY = "9"
PERSON_KEY = "0"
REPEAT_KEY = "*"
ANSWERED = "completed"  # DialCallStatus of a transfer somebody picked up


@dataclass
class Call:
    """What the line remembers of a call between two webhooks (Redis, for the call's length)."""

    sid: str
    phone: str
    coop: str
    language: str = FRENCH
    turn: int = 0  # the number of the answer Twilio posts next (in the action URL)
    last: list[str] = field(default_factory=list)  # what was said last, for "répétez"
    payloads: list[str] = field(default_factory=list)  # the menu on offer: what 1, 2... mean
    silences: int = 0  # silent or unrecognised answers in a row
    offer: str = ""  # a yes/no question of the line itself: crise, resume, rdv
    ticket: str = ""  # the handoff ticket opened during the call
    transfer: str = ""  # the transfer under way: relais (the coop's line) or crise (the crisis line)
    booked: list[str] = field(default_factory=list)  # bookings already confirmed by SMS

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Call:
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class Heard:
    """What an answer means: text for the bot, or something the line handles itself."""

    kind: str  # texte, silence, incompris, repeter, arreter, anglais, personne, oui, non
    text: str = ""


@dataclass(frozen=True)
class Plan:
    """What the line says, then does: listen, transfer to `number`, or hang up."""

    lines: list[str]
    then: str  # ecouter, transferer, raccrocher
    number: str = ""
    one_key: bool = False  # a menu is on offer: the first key pressed answers


def hear(call: Call, speech: str | None, digits: str, today: date | None = None) -> Heard:
    """Read one answer: `speech` is None when Twilio heard nothing, `digits` the keys pressed."""
    digits = digits.strip()
    if digits:
        return _keys(call, digits, today)
    if speech is None or not speech.strip():
        return Heard("silence")
    if not re.search(r"\w", speech):
        return Heard("incompris")
    said = command(speech)
    if said:
        return Heard(said)
    if call.offer and (words.is_yes(speech) or words.is_no(speech)):
        return Heard("oui" if words.is_yes(speech) else "non")
    picked = choice_index(speech, len(call.payloads)) if call.payloads else None
    if picked is not None:
        return Heard("texte", call.payloads[picked - 1])
    born = spoken_birth_date(speech, today)
    return Heard("texte", born.isoformat() if born else speech.strip())


def _keys(call: Call, digits: str, today: date | None) -> Heard:
    if digits == REPEAT_KEY:
        return Heard("repeter")
    if call.offer and digits in ("1", "2"):
        return Heard("oui" if digits == "1" else "non")
    if digits == ENGLISH_KEY and call.turn <= 1 and not call.payloads:
        return Heard("anglais")
    if digits.isdigit() and call.payloads and 1 <= int(digits) <= len(call.payloads):
        return Heard("texte", call.payloads[int(digits) - 1])
    if digits == PERSON_KEY:
        return Heard("personne")
    born = keyed_birth_date(digits, today)
    return Heard("texte", born.isoformat() if born else digits)


def language_of(messages: Sequence[BotMessage], current: str) -> str:
    """The caller's language, as the bot last answered in it."""
    return messages[-1].language if messages else current


def _listen(call: Call, lines: list[str], one_key: bool = False) -> Plan:
    call.last = lines  # what "répétez" says again
    return Plan(lines, "ecouter", one_key=one_key)


def after_bot(
    call: Call, messages: Sequence[BotMessage], levels: Sequence[str], ear: Ear, coop: Coop, ticket_opened: bool
) -> Plan:
    """What the line does with the bot's answer; `levels` is the emergency level marked on each message."""
    spoken = ear.turn(messages, call.language, coop)
    lines = list(spoken.lines)
    call.payloads, call.offer = spoken.payloads, ""
    if "911" in levels:
        first = messages[list(levels).index("911")]
        lines.append(ear.line(first.text, call.language, coop))  # said twice: it is the one thing to do
        return Plan(lines, "raccrocher")
    if "crise" in levels:
        lines.append(ear.say("crise_offre", call.language, coop))
        call.offer, call.payloads = "crise", []
        return _listen(call, lines, one_key=True)
    if ticket_opened and coop.values.get("garde"):
        lines.append(ear.say("relais_transfert", call.language, coop))
        call.transfer = "relais"
        return Plan(lines, "transferer", coop.values["garde"])
    return _listen(call, lines, one_key=bool(spoken.payloads))


def on_silence(call: Call, heard: Heard, ear: Ear, coop: Coop) -> Plan:
    """Nothing heard, or nothing understood: the question again, then an offer of a person, then goodbye."""
    call.silences += 1
    if call.silences > SILENCES_BEFORE_OFFER:
        return Plan([ear.say("silence_fin", call.language, coop)], "raccrocher")
    first = ear.say("silence" if heard.kind == "silence" else "incompris", call.language, coop)
    if call.silences == SILENCES_BEFORE_OFFER:
        call.payloads, call.offer = [], ""
        return Plan([first, ear.say("offre_personne", call.language, coop)], "ecouter")
    return Plan([first, *call.last], "ecouter", one_key=bool(call.payloads or call.offer))


def repeat(call: Call, ear: Ear, coop: Coop) -> Plan:
    lines = call.last or [ear.say("accueil", call.language, coop)]
    return Plan(lines, "ecouter", one_key=bool(call.payloads or call.offer))


def greeting(call: Call, ear: Ear, coop: Coop) -> Plan:
    return _listen(call, [ear.say("accueil", call.language, coop)])


def to_english(call: Call, ear: Ear, coop: Coop) -> Plan:
    call.language = ENGLISH
    return greeting(call, ear, coop)


def crisis_transfer(call: Call, ear: Ear, coop: Coop) -> Plan:
    call.offer, call.transfer = "", "crise"
    return Plan([ear.say("crise_transfert", call.language, coop)], "transferer", CRISIS_LINE)


def after_transfer(call: Call, status: str, ear: Ear, coop: Coop) -> Plan:
    """The transfer is over: somebody answered (goodbye), or nobody did (811, a summary, a booking)."""
    transferred, call.transfer = call.transfer, ""
    if status == ANSWERED:
        return goodbye(call, ear, coop)
    if transferred == "crise":
        return _listen(call, [ear.say("crise_sans_reponse", call.language, coop)])
    call.offer = "resume"
    lines = [ear.say("relais_sans_reponse", call.language, coop), ear.say("resume_offre", call.language, coop)]
    return _listen(call, lines, one_key=True)


def offer_booking(call: Call, ear: Ear, coop: Coop, before: Sequence[str] = ()) -> Plan:
    call.offer = "rdv"
    return _listen(call, [*before, ear.say("rdv_offre", call.language, coop)], one_key=True)


def declined(call: Call, ear: Ear, coop: Coop) -> Plan:
    """The caller said no to the line's own question: the line listens to what they want instead."""
    call.offer = ""
    return _listen(call, [ear.say("d_accord", call.language, coop)])


def goodbye(call: Call, ear: Ear, coop: Coop) -> Plan:
    return Plan([ear.say("au_revoir", call.language, coop)], "raccrocher")


def trouble(language: str, ear: Ear, coop: Coop) -> Plan:
    """Something broke on our side: an apology, 811 and 911, never a stack trace."""
    return Plan([ear.say("technique", language, coop)], "raccrocher")
