"""TwiML for the phone line, built by the `twilio` library: listen, transfer or hang up after speaking.

Every answer says its lines, then does one thing: listens (<Gather> for speech and keypad, the
lines inside it so the caller can answer before the end), transfers (<Dial> with a timeout and a
callback for what happened) or hangs up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree

from twilio.twiml.voice_response import VoiceResponse

from bot.voice.speech import Voice

LISTEN_SECONDS = 6  # silence before Twilio gives up waiting for the caller
DIAL_SECONDS = 20  # rings before a transfer counts as unanswered
# The TwiML verbs and nouns this line uses, all in Twilio's schema.
VERBS = frozenset({"Response", "Say", "Gather", "Dial", "Number", "Hangup", "Pause"})


@dataclass(frozen=True)
class Listen:
    """Wait for the caller's answer, posted to `action`."""

    action: str
    hints: str = ""
    one_key: bool = False  # a menu: the first key pressed is the answer


@dataclass(frozen=True)
class Transfer:
    number: str
    action: str  # where Twilio reports how the transfer went (DialCallStatus)
    caller_id: str = ""


def _say(parent: VoiceResponse, lines: Sequence[str], voice: Voice) -> None:
    for line in lines:
        parent.say(line, voice=voice.name, language=voice.language)


def listen(lines: Sequence[str], voice: Voice, then: Listen) -> str:
    response = VoiceResponse()
    gather = response.gather(
        input="speech dtmf",
        language=voice.recognition,
        action=then.action,
        method="POST",
        timeout=LISTEN_SECONDS,
        speech_timeout="auto",
        action_on_empty_result=True,  # silence comes back to us too: the caller is re-prompted
        hints=then.hints or None,
        num_digits=1 if then.one_key else None,
        finish_on_key="#",
    )
    _say(gather, lines, voice)
    return str(response.to_xml())


def transfer(lines: Sequence[str], voice: Voice, then: Transfer) -> str:
    response = VoiceResponse()
    _say(response, lines, voice)
    dial = response.dial(timeout=DIAL_SECONDS, action=then.action, method="POST", caller_id=then.caller_id or None)
    dial.number(then.number)
    return str(response.to_xml())


def hang_up(lines: Sequence[str], voice: Voice) -> str:
    response = VoiceResponse()
    _say(response, lines, voice)
    response.hangup()
    return str(response.to_xml())


def unknown_verbs(twiml: str) -> set[str]:
    """Elements of a TwiML document outside the verbs this line uses (empty when it is sound)."""
    root = ElementTree.fromstring(twiml)
    return {element.tag for element in root.iter()} - VERBS
