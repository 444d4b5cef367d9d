"""Reading the short answers members give to the bot's questions: yes, no, leave, a number, for whom...

Everything works on normalised text (bot/platform/text.py): no accents, lowercase, SMS spellings expanded.
Each reader answers None when the message is not that kind of answer, so a flow can tell an answer
from a digression.
"""

from __future__ import annotations

import re

from bot.platform.text import normalise

_YES = re.compile(
    r"^(oui|o|ouais|yes|yep|yeah|y|ok|okay|d accord|daccord|correct|parfait|bien sur|certainement|absolument|"
    r"j accepte|accepte|je suis d accord|sure|of course|i agree|agree|go|vas y|allez y|c est correct|exact|"
    r"en effet|tout a fait|c est ca|affirmatif|ouin|wi|yes please|oui svp|oui s il vous plait|oui merci)"
    r"( [.!]| merci| svp| s il vous plait| please| thanks)*$"
)
_NO = re.compile(
    r"^(non|nope|no|nah|pas vraiment|pas du tout|jamais|aucun|aucune|je refuse|refuse|non merci|no thanks|"
    r"no thank you|pantoute|nenon|non non|nn|negatif|pas pour l instant|not now|pas maintenant|je ne veux pas|"
    r"i don t|i do not|none|rien de ca|rien de tout ca|none of (that|those|them)|no it s fine|ca va)"
    r"( [.!]| merci| svp| thanks)*$"
)
# Words that leave any flow ("annuler", "laisse faire", "menu"). A lone STOP is the SMS opt-out
# keyword: the SMS channel takes it before the assistant sees it.
_LEAVE = re.compile(
    r"^(annuler|annule|annulez|cancel|laisse faire|laissez faire|laisse tomber|laissez tomber|oublie ca|"
    r"oubliez ca|forget it|never mind|nevermind|menu|retour|recommencer|recommence|start over|back|quitter|"
    r"quit|exit|arrete|arreter|j arrete|on arrete|abandonner|abandon|c est beau|c est correct laisse faire|"
    r"pas besoin|plus besoin|no need)( [.!]| merci| svp| thanks)*$"
)
_NUMBER = re.compile(r"^\s*#?(\d{1,2})\s*[.)]?\s*$")
_MEMBER_NUMBER = re.compile(r"\b([a-z]{1,5})\s*-?\s*(\d{3,8})\b")
_CODE = re.compile(r"^\D*(\d{6})\D*$")
_AGE = re.compile(
    r"\b(\d{1,3}|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|eleven|twelve)\s*(ans?|annees?|mois|semaines?|jours?|years?|yrs?|yo|months?|weeks?|"
    r"days?)\b"
)
_AGE_WORDS = re.compile(
    r"\b(bebe|nourrisson|nouveau ne|newborn|baby|infant|ado|adolescent|teen|teenager|adulte|adult|aine|senior|"
    r"personne agee|elderly|retraite|octogenaire|\d{2,3})\b"
)
_SINCE = re.compile(
    r"\b(depuis|hier|avant hier|aujourd hui|ce matin|cette nuit|ce soir|tantot|matin|soir|nuit|heures?|minutes?|"
    r"jours?|semaines?|mois|ans?|annees?|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|longtemps|toujours|"
    r"recemment|hier soir|la semaine|le mois|since|yesterday|today|this morning|tonight|last night|hours?|days?|"
    r"weeks?|months?|years?|ago|monday|tuesday|wednesday|thursday|friday|saturday|sunday|a while|recently|"
    r"\d+)\b"
)
_FOR_WHOM = {
    "moi": {"1", "moi", "me", "myself", "mwa", "moe", "moi meme", "pour moi", "for me", "mine", "self"},
    "enfant": {
        "2", "enfant", "enfants", "bebe", "fils", "fille", "gars", "garcon", "child", "kid", "baby", "son", "daughter",
        "petit", "petite", "fillette", "bambin", "ado", "adolescent", "adolescente", "teen", "toddler",
    },
    "autre": {
        "3", "autre", "mere", "pere", "mari", "femme", "chum", "blonde", "conjoint", "conjointe", "ami", "amie",
        "voisin", "voisine", "someone", "other", "another", "mom", "dad", "mother", "father", "husband", "wife",
        "partner", "friend", "grand", "grand mere", "grand pere", "frere", "soeur", "brother", "sister", "parent",
        "parents", "oncle", "tante", "uncle", "aunt", "maman", "papa", "neighbour", "neighbor", "personne",
    },
}  # fmt: skip


def said(text: str) -> str:
    return normalise(text).strip(" .!?")


def is_yes(text: str) -> bool:
    return bool(_YES.match(said(text)))


def is_no(text: str) -> bool:
    return bool(_NO.match(said(text)))


def wants_to_leave(text: str) -> bool:
    return bool(_LEAVE.match(said(text)))


def number(text: str) -> int | None:
    """A choice answered by its number ("2", "2.", "#2")."""
    match = _NUMBER.match(text or "")
    return int(match.group(1)) if match else None


def member_number(text: str) -> str | None:
    """A coop member number as written on the card ("VM-000101", "vm 101"), upper case with a dash."""
    match = _MEMBER_NUMBER.search(normalise(text).replace(" - ", "-"))
    if not match or match.group(1) in {"le", "la", "un", "une", "de", "du", "mon", "ma", "no", "num", "numero"}:
        # "no 101", "numero 101": the letters are the word, not the coop's prefix
        prefix_and_digits = re.search(r"\b([a-z]{1,5})-(\d{3,8})\b", normalise(text).replace(" ", "-"))
        if not prefix_and_digits:
            return None
        return f"{prefix_and_digits.group(1).upper()}-{prefix_and_digits.group(2)}"
    return f"{match.group(1).upper()}-{match.group(2)}"


def code(text: str) -> str | None:
    match = _CODE.match(text or "")
    return match.group(1) if match else None


def for_whom(text: str) -> str | None:
    """moi, enfant or autre; None when the answer names nobody."""
    words = said(text)
    tokens = set(words.split()) | {words}
    for choice in ("moi", "enfant", "autre"):
        if tokens & _FOR_WHOM[choice]:
            return choice
    return None


def age(text: str) -> str | None:
    """An age as the member wrote it ("4 ans", "6 semaines", "82"), kept short for the clinician."""
    words = said(text)
    if _AGE.search(words) or _AGE_WORDS.search(words):
        return (text or "").strip()[:40]
    return None


def since(text: str) -> str | None:
    """When the problem began, as the member wrote it ("depuis hier", "3 jours")."""
    words = said(text)
    if _SINCE.search(words):
        return (text or "").strip()[:120]
    return None


def looks_like_question(text: str) -> bool:
    words = said(text)
    return "?" in (text or "") or bool(
        re.match(
            r"^(c est quoi|qu est ce|est ce|comment|combien|quand|ou|quel|quelle|quels|quelles|pourquoi|vous|avez vous|"
            r"etes vous|y a t il|what|when|where|how|which|who|do you|are you|is there|can i|can you|could)\b",
            words,
        )
    )


_ASKS = re.compile(
    r"\b(comment|combien|pourquoi|quoi faire|que faire|"
    r"(je|j|on|tu|il|elle) (fais|fait|donne|mets|met|prends|prend) quoi|"
    r"faut (tu|il)|y a tu|ya tu|c tu|c est tu|est ce|est il|peut on|puis je|"
    r"(je|j|on|il|elle|ils|vous|ca|ma|mon|sa|son) (\w+ )?(peux|peut|pourrais|pourrait|dois|doit|coute|prend|prends|"
    r"faites|fait|vas|va|avez|as|a|suis|est|sont|serait|marche) tu|"  # Quebec's "-tu": "je peux-tu quand même"
    r"can (she|he|my|we|they|you)|does (it|the|this|that)|is (the|that|this|my)|"
    r"ou (je|j|on|est ce que je) (vais|va|peux|dois|appelle|m adresse|vas)|"
    r"how|what should|what can|what do|when should|should i|can i|do i|is it|is there|are you|do you)\b"
)


def asks(text: str) -> bool:
    """Whether a message asks something, wherever the question is ("mon bébé fait 38, je lui donne quoi")."""
    return looks_like_question(text) or bool(_ASKS.search(said(text)))


_ACTS = (
    (
        "pourquoi",
        re.compile(
            r"^(pourquoi|pk|pkoi|pq|why|how come|comment ca)( \?| donc| ca| 911| l urgence| that| this)?$|"
            r"^(pourquoi|why) (vous me dites|tu me dis|you tell|are you telling|vous m envoyez|the er|l urgence|le 911)"
        ),
    ),
    (
        "donnees_effacer",
        re.compile(
            r"\b(effac\w*|supprim\w*|detrui\w*|delete|erase|remove|oubliez moi|forget me)\b.*"
            r"\b(donnees|data|renseignements|informations|infos|dossier|conversation|historique)\b|"
            r"\b(droit a l oubli|right to be forgotten)\b"
        ),
    ),
    (
        "donnees_voir",
        re.compile(
            r"^(mes donnees|my data|mes renseignements|my information)$|"
            r"\b(quelles|what|quels|which|voir|see|show|copie|copy|acces)\b.*\b(donnees|data|renseignements|informations)\b"
            r".*\b(moi|me|mes|my|sur moi|about me)\b"
        ),
    ),
    (
        "saluer",
        re.compile(
            r"^(bonjour|bonsoir|allo|salut|hello|hi|hey|bon matin|good morning|good evening|yo|allo allo|bjr|slt)"
            r"( (madame|monsieur|la coop|tout le monde|there|everyone))?$"
        ),
    ),
    (
        "remercier",
        re.compile(
            r"^(merci|merci beaucoup|merci bien|thanks|thank you|thx|ty|mci|merci infiniment|super merci|"
            r"ok merci|parfait merci|great thanks|ok thanks)( beaucoup| a vous| bcp| pour tout| for everything)?$"
        ),
    ),
    (
        "au_revoir",
        re.compile(
            r"^(bye|bye bye|au revoir|bonne journee|bonne soiree|a la prochaine|ciao|a plus|goodbye|"
            r"have a nice day|see you|good night|bonne nuit)( merci| thanks)?$"
        ),
    ),
)


def act_of(text: str) -> str:
    """A dialogue act recognised from the words themselves, when they leave no doubt ("pourquoi?", "merci")."""
    words = said(text)
    for name, pattern in _ACTS:
        if pattern.search(words):
            return name
    return ""
