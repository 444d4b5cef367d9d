"""Which language a member writes in: English or French (the default), message by message.

A member who writes in English gets the bot's answers in English (TRIAGE.md). Most messages are
short and informal, so the decision counts function words that only one of the two languages
uses, after the text is stripped of accents. Franglais ("mon chum a des chest pains") stays
French; a message with no telling word keeps the conversation's language.
"""

from __future__ import annotations

import re

from bot.platform.text import strip_accents

FRENCH, ENGLISH = "fr", "en"
LANGUAGES = (FRENCH, ENGLISH)

_ENGLISH = frozenset(
    """the a an is are was were be been being am i i'm im my me mine you your yours he him his she her hers
    it its we our us they them their this that these those what which who whom whose when where why how
    and or but if then so because with without from into onto about above below under over after before
    have has had having do does did doing done can could would should will won't wont can't cant don't dont
    doesn't doesnt didn't didnt isn't isnt aren't wasn't weren't not no yes yeah yep nope please thanks
    thank hello hi hey there here some any all every much many more most very really just also too
    of to in on at by for up out off again still now today tonight tomorrow yesterday morning night
    time day days week weeks month months year years old since ago going gonna want need help feel
    feeling feels sick pain hurts hurt chest breathing breathe bleeding blood fever cough throat head
    stomach back arm leg eye ear nose skin baby son daughter husband wife mom dad mother father
    doctor nurse appointment hours open closed phone number address what's whats it's thats that's
    i've ive i'll ill i'd id he's she's they're you're youre we're let's lets thx ty goodbye""".split()
)
_FRENCH = frozenset(
    """le la les un une des du de d l j je tu il elle on nous vous ils elles mon ma mes ton ta tes son sa
    ses notre nos votre vos leur leurs ce cet cette ces qui que quoi dont ou est sont suis es etes etait
    ete avoir ai as avons avez ont avait et mais donc car ni ne pas plus jamais rien aussi tres trop
    bien mal avec sans pour par dans sur sous chez entre vers depuis pendant avant apres encore deja
    oui non merci bonjour bonsoir salut allo svp stp ca cela ceci c qu s n m t y en au aux quand comment
    pourquoi combien quel quelle quels quelles mal douleur fievre tete ventre coeur gorge bebe fils
    fille mari femme mere pere enfant medecin infirmiere rendez heures ouvert ferme numero adresse
    chu pis pu faque tsu tsé tse ben pantoute icitte astheure jai cest jsuis chui""".split()
)
_WORD = re.compile(r"[a-z']+")


def detect(text: str, previous: str = FRENCH) -> str:
    """'en' or 'fr' for one message; `previous` (the conversation's language) breaks ties."""
    words = _WORD.findall(strip_accents((text or "").lower()))
    english = sum(1 for w in words if w in _ENGLISH and w not in _FRENCH)
    french = sum(1 for w in words if w in _FRENCH and w not in _ENGLISH)
    if english == french:
        return previous if previous in LANGUAGES else FRENCH
    if (english > french and english >= 2) or (english >= 1 and french == 0 and len(words) <= 3):
        return ENGLISH
    return FRENCH
