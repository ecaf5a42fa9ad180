from django.db import models
from django.utils.translation import gettext_lazy as _


class InputKind(models.TextChoices):
    PESTICIDE = "pesticide", _("Pesticide")
    VET_DRUG = "vet_drug", _("Veterinary drug")
    FERTILIZER = "fertilizer", _("Fertilizer")
    FEED = "feed", _("Feed / feed additive")
    OTHER = "other", _("Other input")


# Inputs whose interval gates harvest and certificates: 安全间隔期 for pesticides, 休药期 for vet drugs.
INTERVAL_KINDS = {InputKind.PESTICIDE, InputKind.VET_DRUG}


class HarvestKind(models.TextChoices):
    HARVEST = "harvest", _("Harvest")
    SLAUGHTER = "slaughter", _("Slaughter / sale of animals")
    CATCH = "catch", _("Catch")


class BatchStatus(models.TextChoices):
    GROWING = "growing", _("Growing / raising")
    HARVESTED = "harvested", _("Harvested")
    CLOSED = "closed", _("Finished")


class PromiseForm(models.TextChoices):
    PRODUCER = "producer", _("Producer's promise")
    BUYER = "buyer", _("Buyer's promise")


# The three promises of MOA Order 2025 No. 4 (承诺达标合格证管理办法), on every certificate; a buyer's
# re-issue adds what it promises about the collected lots.
PROMISES = "不使用禁用农药兽药、停用兽药和非法添加物；常规农药兽药残留不超标；对承诺的真实性负责。"
PROMISE_TEXT = {
    PromiseForm.PRODUCER: PROMISES,
    PromiseForm.BUYER: "已按规定收取并保存该批次农产品承诺达标合格证或者其他质量安全合格证明；"
    "未违规使用保鲜剂、防腐剂、添加剂等；" + PROMISES,
}


class Basis(models.TextChoices):
    CONTROL = "control", "质量安全控制符合要求"
    SELF_TEST = "self_test", "自行检测合格"
    ENTRUSTED_TEST = "entrusted_test", "委托检测合格"


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


class ScanResult(models.TextChoices):
    GENUINE = "genuine", _("Genuine")
    REVOKED = "revoked", _("Revoked")
    UNSIGNED = "unsigned", _("Number only (signature not checked)")
    BAD_SIGNATURE = "bad_signature", _("Signature invalid")
    UNKNOWN = "unknown", _("No such certificate")


class SignatureCheck(models.TextChoices):
    """Why a scanned QR's signature did not prove its certificate (``qrsign`` result codes), kept on the scan for
    staff. The public page shows one message for every refusal of the key (``KEY_REFUSALS``)."""

    MALFORMED = "malformed", _("The QR text cannot be read")
    BAD_NUMBER = "bad_number", _("The signed number's check character is wrong")
    UNKNOWN_KID = "unknown_kid", _("Signed with a key that was never published")
    BAD_SIGNATURE = "bad_signature", _("The signature does not match the content (altered or forged)")
    NUMBER_MISMATCH = "number_mismatch", _("The number in the address differs from the signed number")
    KEY_WINDOW = "key_window", _("Signed outside its key's validity window")
    KEY_COMPROMISED = "key_compromised", _("Signed after its key was marked compromised")
    NOT_ISSUED = "not_issued", _("A valid signature, but not the token issued for this certificate")


# Refusals that concern the signing key or the platform's record of it: the public sees one generic message for
# all of them (which key state refused a token is for staff).
KEY_REFUSALS = frozenset(
    {
        SignatureCheck.UNKNOWN_KID,
        SignatureCheck.KEY_WINDOW,
        SignatureCheck.KEY_COMPROMISED,
        SignatureCheck.NOT_ISSUED,
    }
)


class CheckResult(models.TextChoices):
    VALID = "valid", _("Valid certificate")
    MISSING = "missing", _("No certificate")
    INVALID = "invalid", _("Invalid certificate")
    REVOKED = "revoked", _("Revoked certificate")


FAILED_CHECKS = {CheckResult.MISSING, CheckResult.INVALID, CheckResult.REVOKED}


class Unit(models.TextChoices):
    KG = "kg", "千克"
    JIN = "斤", "斤"
    TON = "吨", "吨"
    HEAD = "头", "头"
    BIRD = "只", "只"
    BOX = "箱", "箱"
    PIECE = "枚", "枚"


# Units of mass convert to kilograms; other units must match exactly.
MASS_IN_KG = {"kg": 1, "斤": 0.5, "吨": 1000}


# Producers that are people rather than organisations: their names are masked on public pages.
INDIVIDUAL_TYPES = {"household", "scale_grower"}


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


# What the ledger page calls this app's kinds of entry (registered with nongan.core.ledger in AppConfig.ready).
LEDGER_KINDS = {
    "certificate.issue": _("Certificate issued"),
    "certificate.revoke": _("Certificate revoked"),
    "certificate.contradicted": _("Certificate promise contradicted"),
    "certificate.counterfeit_confirmed": _("Counterfeit confirmed"),
    "certificate.counterfeit_cleared": _("Counterfeit signals cleared"),
    "certificate.collected": _("Certificates collected"),
    "certificate.market_check": _("Market check"),
    "certificate.key_target_accepted": _("Key-target proposal accepted"),
    "certificate.key_target_rejected": _("Key-target proposal rejected"),
    "signing_key.rotate": _("Signing key rotated"),
    "signing_key.compromise": _("Signing key compromised"),
}


class CertificateEventKind(models.TextChoices):
    """What a certificate's event row says happened (``CertificateEvent.kind``)."""

    ISSUED = "issued", _("Issued")
    PRINTED = "printed", _("Printed")
    REVOKED = "revoked", _("Revoked")
    CONTRADICTED = "contradicted", _("Promise contradicted by a sample")
    COUNTERFEIT_CONFIRMED = "counterfeit_confirmed", _("Counterfeit confirmed")
    COUNTERFEIT_CLEARED = "counterfeit_cleared", _("Counterfeit signals cleared")
