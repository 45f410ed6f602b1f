"""The embedded CJK font of the pass PDFs, and fast text drawing with it.

WenQuanYi Micro Hei (``passes/fonts``, Apache-2.0) is parsed once per process. ReportLab embeds
a TrueType font as subsets of 256 glyphs, built and compressed anew for every document; that
was most of the time of a one-page PDF. Three things make it cheap without changing the output:

- every document first assigns a fixed list of common characters (the printed labels and notes,
  ASCII, frequent surnames, place and company words), so its first subsets are the same glyphs
  in the same order in every document;
- building a subset and Flate-compressing it are memoised by their exact input, so those
  subsets cost nothing after the first document; only the few rare characters of a pass (a
  name, a street) make a small subset of their own;
- ``draw_text`` writes the text operators directly instead of going through ReportLab's text
  objects (which also forgets the text render mode between objects, see below).
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections import OrderedDict
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

FONT_NAME = "PassdeskWQY"
FONT_PATH = Path(__file__).resolve().parents[2] / "fonts" / "wqy-microhei.ttc"

# Page streams are Flate-compressed binary, without ReportLab's default ASCII85 layer on top:
# a quarter smaller, and no ASCII85 pass over every page (valid PDF either way).
rl_config.useA85 = 0

# Characters every document assigns first (after its labels): frequent in names, addresses,
# company names, cargo and routes in Hunan. Order matters only for stability.
COMMON_CHARACTERS = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    " .,:;-/()→·、，。：；（）—*#%+"
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
    "严覃武戴莫孔向汤伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文红志新海波斌辉鹏飞俊峰"
    "宇浩东春晓云玉兰凤梅燕莉萍琴雪光亮成德祥福荣生安永全胜才庆小大"
    "湖南省株洲长沙湘潭衡阳岳常益郴州怀化娄底邵张家界吉首荷塘芦淞石天元渌口醴陵攸县茶炎雨花麓开"
    "福芙蓉望城浏宁乡区市镇村街道路号工业园物流仓库心公司有限责任股份集团贸易运输商实科技发展制造"
    "材钢铁化食品医药电子机械汽车服务配送供应链冷货快递港码头速收费站出入桥隧西北中上下前后左右一"
    "二三四五六七八九十百千第期栋楼层室原木煤粮蔬菜水果肉蛋奶防疫物资生活必需成零部件设备燃油气至"
    "京沪昆港澳环线高国旗金"
    # Then the most frequent characters of modern Chinese.
    "的是不了人我在有他这为之来以个们到说和地也子时道出而要于就下得可你年生自会那后能对着事其里所"
    "去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主"
    "没公从知全点从两外但现些新开问很最长已因资关期间相通利位把信意走电四第门次政口使教再平真听世"
    "气北少并内加由却代产入先太万眼体别处总才场师书比住员笑性目报立马命活难神数件安表叫死常提感何"
    "更反合放做系计或受光果亲界及今务制解各任至清物台象记边共风战干接它许特觉望直服毛题南度统色字"
    "请交爱让认算论吃义科怎元社术结功指思非流每青管夫连远队跟带花快条院变联言权往该领传近留治决保"
    "达办必父步完革深即求品士转量空甚众轻告语基派满式息写呢识极令德收脸党倒未持取设始版双历越史片"
    "容研像找友孩广改议形委早房音际则首单据导影失拿网香似斯专若兵弟谁校读志观争究包组落视济喜离虽"
    "坐编宝谈府拉黑且随格尽讲布杀微怕母调局根曾准团段终乐切级克精哪官示冷域"
)

STATIC_CODES = 512  # two subsets of 256 glyphs, the same in every document
_lock = threading.Lock()
# ReportLab reads glyphs through the face's one shared cursor (``seek``/``read``): two threads
# subsetting the same face at once read each other's bytes (a KeyError, or a corrupt subset).
# Subsetting holds this lock; it is rare (memoised) and short.
_subset_lock = threading.Lock()


class _MemoFlate:
    """FlateDecode whose output is remembered for large inputs (the font subsets)."""

    pdfname = "FlateDecode"

    def __init__(self, size: int = 64):
        self._memo: OrderedDict[bytes, bytes] = OrderedDict()
        self._size = size

    def encode(self, content):
        if isinstance(content, str):
            content = content.encode("utf-8")
        if len(content) < 4096:
            return zlib.compress(content)
        key = hashlib.blake2b(content, digest_size=20).digest()
        with _lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        encoded = zlib.compress(content)
        with _lock:
            self._memo[key] = encoded
            while len(self._memo) > self._size:
                self._memo.popitem(last=False)
        return encoded

    def decode(self, encoded):
        return zlib.decompress(encoded)


_FLATE = _MemoFlate()


class _Face(TTFontFace):
    """The font face with memoised subsets and compressed subset streams."""

    _subset_memo: OrderedDict
    _tables: dict

    def get_table(self, tag):
        """Font tables are immutable: slice each out of the 5 MB file once, not per subset."""
        table = self._tables.get(tag)
        if table is None:
            table = self._tables[tag] = super().get_table(tag)
        return table

    def makeSubset(self, subset):  # noqa: N802 - ReportLab's name
        """A memoised subset, built under ``_subset_lock`` (the face's cursor is shared)."""
        key = tuple(subset)
        with _subset_lock:
            data = self._subset_memo.get(key)
            if data is not None:
                self._subset_memo.move_to_end(key)
                return data
            data = super().makeSubset(subset)
            self._subset_memo[key] = data
            while len(self._subset_memo) > 64:
                self._subset_memo.popitem(last=False)
        return data

    def addSubsetObjects(self, doc, fontname, subset):  # noqa: N802 - ReportLab's name
        reference = super().addSubsetObjects(doc, fontname, subset)
        stream = doc.idToObject.get(f"fontFile:{self.filename}({fontname})")
        if stream is not None and doc.compression:
            stream.filters = [_FLATE]
        return reference


class _Preformatted(pdfdoc.PDFObject):
    """A PDF value formatted once (a subset's Widths array: 256 numbers)."""

    def __init__(self, data: bytes):
        self.data = data

    def format(self, document):
        return self.data


class _Font(TTFont):
    """The font whose subsets' Widths arrays are formatted once per distinct subset."""

    _widths_memo: dict

    def addObjects(self, doc):  # noqa: N802 - ReportLab's name
        state = self.state.get(doc)
        names = [
            self.getSubsetInternalName(index, doc)[1:]
            for index in range(len(state.subsets) if state else 0)
        ]
        super().addObjects(doc)
        fonts = doc.idToObject["BasicFonts"].dict
        for name in names:
            pdf_font = fonts.get(name)
            widths = getattr(pdf_font, "Widths", None)
            if not isinstance(widths, pdfdoc.PDFArray):
                continue
            key = tuple(widths.sequence)
            with _lock:
                formatted = self._widths_memo.get(key)
                if formatted is None:
                    if len(self._widths_memo) > 256:
                        self._widths_memo.clear()
                    formatted = self._widths_memo[key] = _Preformatted(widths.format(doc))
            pdf_font.Widths = formatted


_font: TTFont | None = None
_char_widths: dict[str, float] = {}


def font() -> TTFont:
    """The registered font, parsed once per process (about half a second)."""
    global _font
    with _lock:
        if _font is None:
            loaded = TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=0)
            loaded.__class__ = _Font
            loaded._widths_memo = {}
            loaded.face.__class__ = _Face
            loaded.face._subset_memo = OrderedDict()
            loaded.face._tables = {}
            pdfmetrics.registerFont(loaded)
            _font = loaded
    return _font


def width(text: str, size: float) -> float:
    """Advance width of ``text`` at ``size`` points (per-character widths, cached)."""
    widths = _char_widths
    total = 0.0
    for char in text:
        value = widths.get(char)
        if value is None:
            value = widths[char] = font().face.getCharWidth(ord(char)) / 1000
        total += value
    return total * size


def preseed(doc, text: str) -> None:
    """Assign ``text``'s characters, then the common ones, to this document's first subsets."""
    face_font = font()
    face_font.splitString(text, doc)
    state = face_font.state[doc]
    for char in COMMON_CHARACTERS:
        if state.nextCode >= STATIC_CODES:
            return
        face_font.splitString(char, doc)
    # Never a half-filled static subset: it would take page characters and differ per document.
    for code in range(0x4E00, 0x9FA6):
        if state.nextCode >= STATIC_CODES:
            return
        if code in face_font.face.charToGlyph:
            face_font.splitString(chr(code), doc)


def draw_text(canvas, x, y, text, size, color, *, bold=False, spacing=0.0) -> None:
    """One line of text at (x, y), left-aligned, as raw PDF operators.

    Sets fill colour, character spacing and render mode every time: in PDF they outlive the
    text object, and ReportLab's own text objects skip "Tr" when they think it is unchanged.
    ``bold`` fills and strokes the outline (the font has no bold face).
    """
    if not text:
        return
    face_font = font()
    doc = canvas._doc  # noqa: SLF001 - subset assignment is per document
    ops = [f"BT {color[0]:.3f} {color[1]:.3f} {color[2]:.3f} rg {spacing:.2f} Tc"]
    if bold:
        ops.append(f"2 Tr {color[0]:.3f} {color[1]:.3f} {color[2]:.3f} RG {size / 40:.3f} w")
    else:
        ops.append("0 Tr")
    ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
    for subset, chunk in face_font.splitString(text, doc):
        name = face_font.getSubsetInternalName(subset, doc)
        ops.append(f"{name} {size:.2f} Tf ({pdfdoc.escapePDF(chunk)}) Tj")
    ops.append("ET")
    canvas._code.append(" ".join(ops))  # noqa: SLF001


def font_version() -> str:
    return f"{FONT_PATH.name}:{FONT_PATH.stat().st_size}"
