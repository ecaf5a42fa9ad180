"""The market checker scans a certificate's QR code with the phone's camera: in a real Chromium whose camera is a
video of the printed label (Chromium's fake capture device playing a Y4M file made here from the certificate's QR
code). Desktop Linux Chromium, like iOS Safari, has no BarcodeDetector, so this is the jsQR path end to end."""

import os
from pathlib import Path

import pytest
import segno
from PIL import Image

from conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD
from nongan.certificates.models import MarketCheck

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

W, H = 640, 480


def _label_video(text: str, path: Path) -> Path:
    """A few frames of a white card with the QR code of ``text`` (YUV 4:2:0, the grey picture in Y)."""
    qr = segno.make(text, error="m")
    modules = [[0] * 4 + list(row) + [0] * 4 for row in qr.matrix]  # a quiet zone of 4 modules
    n = len(modules[0])
    modules = [[0] * n] * 4 + modules + [[0] * n] * 4
    code = Image.new("L", (n, n), 255)
    code.putdata([0 if dark else 255 for row in modules for dark in row])
    scale = 400 // n
    code = code.resize((n * scale, n * scale), Image.NEAREST)
    img = Image.new("L", (W, H), 255)
    img.paste(code, ((W - code.width) // 2, (H - code.height) // 2))
    frame = b"FRAME\n" + img.tobytes() + bytes([128]) * (W * H // 2)
    path.write_bytes(f"YUV4MPEG2 W{W} H{H} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 10)
    return path


def test_market_checker_scans_the_label_with_the_camera(live_server, users, batch, issue, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing at /usr/bin/chromium (.ci/run installs it)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    [cert] = issue(batch, quantity="100")
    video = _label_video(f"{live_server.url}/v/{cert.number}?s={cert.token}", tmp_path / "label.y4m")
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *camera])
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "market")
        page.fill("#id_password", PASSWORD)
        page.click("[data-testid=login]")
        page.wait_for_url(lambda url: "/login/" not in url)
        page.goto(f"{live_server.url}/certificates/market-checks/")
        assert (
            page.evaluate("'BarcodeDetector' in window") is False
            and page.evaluate("typeof window.jsQR") == "function"
        )
        scan = page.locator("[data-scan=id_number]")
        assert scan.is_visible()  # offered: a camera and a decoder are there
        scan.click()
        # the camera reads the label and the form goes on to show the certificate before anything is saved
        page.wait_for_selector("[data-testid=check-result]", timeout=20_000)
        assert page.locator("[data-testid=check-result]").inner_text() == "合格证有效"
        assert page.locator("[data-testid=check-number]").inner_text() == cert.number
        assert MarketCheck.objects.count() == 0
        page.fill("#id_market", "青口农贸市场")
        page.click("[data-testid=check-save]")
        page.wait_for_url("**/certificates/market-checks/")
        check = MarketCheck.objects.get()
        assert (check.result, check.certificate, check.checker) == ("valid", cert, users.market)
        browser.close()
