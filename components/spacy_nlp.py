"""spaCy for the NLU pipeline, loaded without the components the pipeline never reads.

Rasa's SpacyNLP runs every component of fr_core_news_md except the parser on each message
(tagger, lemmatizer, NER...), about 5 ms of the triage budget. The featurizer only reads the
static word vectors and the tokenizer only the tokens, so this loader keeps spaCy's tokenizer
and vectors alone. The class keeps Rasa's name on purpose: Rasa wires the tokenizer and the
featurizer to the node whose class is called `SpacyNLP`.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils import spacy_utils
from rasa.nlu.utils.spacy_utils import SpacyModel

UNUSED_PIPES = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner", "senter"]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLP",
)
class SpacyNLP(spacy_utils.SpacyNLP):
    @staticmethod
    def load_model(spacy_model_name: str) -> SpacyModel:
        import spacy

        return SpacyModel(model=spacy.load(spacy_model_name, exclude=UNUSED_PIPES), model_name=spacy_model_name)
