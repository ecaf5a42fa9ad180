"""The printable sample record (抽样单) in Chinese, drawn with ReportLab's built-in CID font STSong-Light."""

import io

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from nongan.core.pdf import plain, text_paragraph

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _fmt(value) -> str:
    if value is None or value == "":
        return "—"
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y年%m月%d日 %H:%M")
    return str(value)


def _styles():
    font = _font()
    return (
        ParagraphStyle("t", fontName=font, fontSize=18, leading=24, alignment=1),
        ParagraphStyle("b", fontName=font, fontSize=10.5, leading=15),
        ParagraphStyle("s", fontName=font, fontSize=9, leading=12),
    )


def _document(buf, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=plain(title),
        author="农安",
    )


def sample_pdf(sample) -> bytes:
    """One A4 page: the sample's particulars, the seal, the sampled party's confirmation, signature boxes."""
    buf = io.BytesIO()
    _document(buf, f"农产品抽样单 {sample.code}").build(_sample_story(sample, *_styles()))
    return buf.getvalue()


def samples_pdf(samples) -> bytes:
    """The 抽样单 of many samples in one file: one page each, in the order given (the batch print)."""
    samples = list(samples)
    styles = _styles()
    story = []
    for i, sample in enumerate(samples):
        if i:
            story.append(PageBreak())
        story += _sample_story(sample, *styles)
    buf = io.BytesIO()
    _document(buf, f"农产品抽样单（{len(samples)} 份）").build(story)
    return buf.getvalue()


def _sample_story(sample, title, body, small) -> list:
    p = sample.producer
    gps = "—"
    if sample.latitude is not None and sample.longitude is not None:
        gps = f"{sample.latitude}, {sample.longitude}"
    confirmed = "已确认" if sample.party_confirmed else "未确认"
    rows = [
        ["抽样单编号", sample.code, "抽样时间", _fmt(sample.sampled_at)],
        ["被抽样单位", p.name, "主体编号", p.code],
        ["统一社会信用代码", p.credit_code or "—", "负责人", p.legal_rep],
        ["所在乡镇", sample.township.name, "生产基地", sample.base.name if sample.base_id else "—"],
        ["样品名称", sample.product.name, "类别", sample.get_sector_display()],
        ["批次", sample.lot or "—", "抽样数量", f"{sample.quantity.normalize():f} {sample.quantity_unit}"],
        ["抽样地点", sample.place, "GPS坐标", gps],
        ["封样编号", sample.seal_number or "—", "合格证编号", sample.certificate_number or "—"],
        [
            "抽样人员",
            "、".join(str(u) for u in [sample.sampler, *sample.co_samplers.all()]),
            "样品状态",
            sample.get_state_display(),
        ],
        [
            "被抽样方确认",
            f"{sample.party_name or '—'}（{confirmed}）",
            "确认时间",
            _fmt(sample.party_confirmed_at),
        ],
    ]
    data = [[text_paragraph(c, body) for c in r] for r in rows]  # user text: never markup
    table = Table(data, colWidths=[30 * mm, 57 * mm, 27 * mm, 60 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEF5EA")),
                ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#EEF5EA")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    sign = Table(
        [
            [Paragraph("抽样人员签字：", body), Paragraph("被抽样单位签字（盖章）：", body)],
            [Paragraph("日期：　　年　　月　　日", body), Paragraph("日期：　　年　　月　　日", body)],
        ],
        colWidths=[87 * mm, 87 * mm],
        rowHeights=[22 * mm, 10 * mm],
    )
    sign.setStyle(
        TableStyle([("BOX", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story = [
        Paragraph("农产品质量安全监测抽样单", title),
        Spacer(1, 4 * mm),
        text_paragraph(f"监测计划：{sample.plan.title if sample.plan_id else '—'}", small),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 4 * mm),
        Paragraph(
            "本次抽样按照“双随机”要求进行，样品经双方确认后现场封样。被抽样方对抽样过程及样品无异议。", body
        ),
        Spacer(1, 6 * mm),
        sign,
        Spacer(1, 4 * mm),
        Paragraph("本单一式三联：检测机构、被抽样单位、抽样单位各执一联。", small),
    ]
    return story
