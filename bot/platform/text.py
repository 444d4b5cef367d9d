"""Normalisation of what members type: lowercase, no accents, SMS spellings expanded.

Members write "chu pu capable", "jai mal a la poitrinne", "tsé". Every rule and lexicon in the
project works on the output of `normalise`, so a rule written once matches all these spellings.
"""

from __future__ import annotations

import re
import unicodedata

# Quebec and SMS spellings mapped to the standard form the rules are written against.
SMS_SPELLINGS: dict[str, str] = {
    "chu": "je suis",
    "chus": "je suis",
    "chui": "je suis",
    "jsuis": "je suis",
    "jsui": "je suis",
    "suis-je": "je suis",
    "jai": "j ai",
    "jveux": "je veux",
    "jvais": "je vais",
    "jme": "je me",
    "jpeux": "je peux",
    "jpeu": "je peux",
    "jsens": "je sens",
    "jvois": "je vois",
    "jarrive": "j arrive",
    "jsais": "je sais",
    "jpense": "je pense",
    "jfais": "je fais",
    "jfeel": "je me sens",
    "pu": "plus",
    "pus": "plus",
    "pis": "et",
    "pi": "et",
    "tse": "tu sais",
    "faque": "alors",
    "fak": "alors",
    "fack": "alors",
    "ya": "il y a",
    "ye": "il est",
    "yer": "hier",
    "pcq": "parce que",
    "pk": "pourquoi",
    "pkoi": "pourquoi",
    "pq": "pourquoi",
    "bcp": "beaucoup",
    "tjrs": "toujours",
    "tjs": "toujours",
    "qqn": "quelqu un",
    "qqun": "quelqu un",
    "kelkun": "quelqu un",
    "qq": "quelque",
    "svp": "s il vous plait",
    "stp": "s il te plait",
    "ptit": "petit",
    "ptite": "petite",
    "c": "c est",
    "cest": "c est",
    "ct": "c etait",
    "g": "j ai",
    "ke": "que",
    "ki": "qui",
    "koi": "quoi",
    "cmt": "comment",
    "cb": "combien",
    "cmnt": "comment",
    "mwa": "moi",
    "toe": "toi",
    "moe": "moi",
    "pantoute": "pas du tout",
    # English contractions typed without the apostrophe.
    "cant": "can t",
    "wont": "won t",
    "dont": "don t",
    "doesnt": "doesn t",
    "didnt": "didn t",
    "isnt": "isn t",
    "wasnt": "wasn t",
    "werent": "weren t",
    "arent": "aren t",
    "shouldnt": "shouldn t",
    "wouldnt": "wouldn t",
    "hes": "he s",
    "shes": "she s",
    "thats": "that s",
    "theres": "there s",
    "whats": "what s",
    "youre": "you re",
    "couldnt": "couldn t",
    "im": "i m",
    "ive": "i ve",
    "rdv": "rendez vous",
    "rv": "rendez vous",
    "dr": "docteur",
    "doc": "docteur",
    "inf": "infirmiere",
    "bb": "bebe",
    "nn": "non",
    "wi": "oui",
    "ouin": "oui",
    "ds": "dans",
    "dla": "de la",
    "kil": "qu il",
    "jpar": "je pars",
    "jpars": "je pars",
    "didees": "d idees",
    "didee": "d idee",
    "dmon": "de mon",
    # Elisions typed without the apostrophe, on words the table reads.
    "loeil": "l oeil",
    "loreille": "l oreille",
    "lestomac": "l estomac",
    "lhopital": "l hopital",
    "lurgence": "l urgence",
    "lambulance": "l ambulance",
    "lan": "l an",
    "javais": "j avais",
    "jetais": "j etais",
    "delle": "d elle",
    "dlui": "de lui",
    # Misspellings common enough to be in spaCy's word list, so the typo corrector leaves them alone.
    "connaisance": "connaissance",
    "conaissance": "connaissance",
    "conaisance": "connaissance",
    "connaiscance": "connaissance",
    "mdecin": "medecin",
}

# Laughing emoji read as the "lol" they stand for: "son coeur a arrêté en voyant la facture 😂" is a joke.
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", **{e: " lol " for e in "😂🤣😆😅😹"}})
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[a-z0-9]+(?:['-][a-z0-9]+)*|[.!?;,:/]")
_ELIDED = re.compile(r"\b([cdjlmnst]|qu|jusqu|lorsqu|puisqu)'")


def strip_accents(text: str) -> str:
    """Remove diacritics: 'fièvre' -> 'fievre', 'cœur' -> 'coeur'."""
    text = text.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """Return a canonical form of a member's message for rule matching.

    Lowercase, accents removed, elisions and hyphens split ("j'ai" -> "j ai"), SMS and Quebec spellings
    expanded, repeated letters squeezed ("aideeeee" -> "aidee"), one space between tokens.
    Punctuation that ends a clause (. , ; ! ? :) is kept as its own token so that negation
    does not reach across clauses.
    """
    text = strip_accents(text.translate(_APOSTROPHES).lower())
    text = re.sub(r"([a-z])\1{2,}", r"\1\1", text)  # letters only: "aideeeee", but not "000101"
    words: list[str] = []
    raw = _TOKEN.findall(text)
    for i, token in enumerate(raw):
        if token == "c" and raw[i + 1 : i + 2] in (["est"], ["etait"]):
            words.append("c")  # already "c est": keeps normalise idempotent
        elif token[0].isdigit():
            words.append(token.replace(",", "."))  # 38,5 and 38.5 are the same temperature
        elif token in SMS_SPELLINGS:
            words.append(SMS_SPELLINGS[token])
        else:
            # Hyphens go too: "peux-tu", "rendez-vous" and "nouveau-né" match as separate words.
            words.append(_ELIDED.sub(r"\1 ", token).replace("'", " ").replace("-", " "))
    return " ".join(words)
