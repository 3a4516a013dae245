import io
import struct
import zlib
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image as PILImage

from articles import imaging
from articles.models import Article, Image
from articles.services import image_create
from live.models import LiveBlog, LiveUpdate
from tests.admin_forms import change_url, form_data
from tests.factories import ArticleFactory, AuthorFactory, FigureFactory, ImageFactory, image_bytes

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/articles/image/add/"


def upload(name, content, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def bomb_png(width=30000, height=30000) -> bytes:
    """A tiny file whose header claims an enormous picture."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


def jpeg_with_gps_and_rotation() -> bytes:
    exif = PILImage.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    PILImage.new("RGB", (400, 200), (10, 120, 200)).save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "name", "kwargs"),
    [("JPEG", "photo.jpg", {}), ("PNG", "chart.png", {}), ("WEBP", "photo.webp", {}), ("GIF", "anim.gif", {})],
)
def test_real_images_in_each_allowed_format_are_accepted(admin_client, fmt, name, kwargs):
    response = admin_client.post(
        ADD_URL, {"file": upload(name, image_bytes(fmt, **kwargs)), "alt_text": "A test picture", "caption": ""}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    image = Image.objects.get()
    assert (image.width, image.height) == (800, 500)
    assert image.file.name.endswith(name.rsplit(".", 1)[1])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.jpg", b"These are my interview notes, not a photo.", "not a JPEG, PNG, WebP or GIF"),
        ("page.png", b"<html><script>alert(1)</script></html>", "not a JPEG, PNG, WebP or GIF"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "not a JPEG, PNG, WebP or GIF"),
        ("scan.tiff", image_bytes("TIFF"), "not a JPEG, PNG, WebP or GIF"),
        ("cut.jpg", image_bytes("JPEG", size=(1200, 900))[:3000], "damaged or incomplete"),
        ("bomb.png", bomb_png(), "too many pixels"),
        ("huge.png", bomb_png(9000, 9000), "9000×9000 pixels; images may have at most 50 megapixels"),
    ],
)
def test_bad_uploads_get_a_clear_error_and_nothing_is_saved(admin_client, name, content, message):
    response = admin_client.post(
        ADD_URL, {"file": upload(name, content), "alt_text": "Typed alt text", "caption": "Typed caption"}
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["file"]
    assert any(message in error for error in errors), errors
    assert not Image.objects.exists()
    assert b"Typed alt text" in response.content and b"Typed caption" in response.content


def test_upload_over_the_size_limit_is_refused(admin_client, settings):
    settings.IMAGE_MAX_UPLOAD_MB = 1
    big = image_bytes("PNG", size=(1200, 1200), colour=(1, 2, 3))
    noisy = PILImage.frombytes("RGB", (1000, 1000), bytes(range(256)) * 11718 + b"\0" * 192)
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 1024 * 1024 or len(big) < 1024 * 1024

    response = admin_client.post(
        ADD_URL, {"file": upload("big.png", out.getvalue() + b"\0" * 1024 * 1024), "alt_text": "x"}
    )

    assert "at most 1 MB" in response.context["adminform"].form.errors["file"][0]
    assert not Image.objects.exists()


def test_alt_text_is_required(admin_client):
    response = admin_client.post(ADD_URL, {"file": upload("photo.jpg", image_bytes()), "alt_text": ""})

    assert "alt_text" in response.context["adminform"].form.errors
    assert not Image.objects.exists()


def test_stored_image_and_renditions_carry_no_exif_and_are_upright(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = image_create(file=upload("gps.jpg", jpeg_with_gps_and_rotation()), alt_text="A blue field")

    assert (image.width, image.height) == (200, 400)  # rotated as the camera meant
    with image.file.open("rb") as fh:
        stored = PILImage.open(fh)
        assert not stored.getexif()
        assert "exif" not in stored.info
    for extension in ("webp", "jpg"):
        for rendition in image.renditions(extension):
            name = rendition.url.removeprefix("/media/")
            with default_storage.open(name, "rb") as fh:
                picture = PILImage.open(fh)
                assert not picture.getexif()
                assert picture.size == (rendition.width, rendition.height)


def test_renditions_come_in_webp_and_the_fallback_format_at_several_widths():
    image = ImageFactory(file=SimpleUploadedFile("wide.jpg", image_bytes(size=(2000, 1000))))

    webp = image.renditions("webp")
    assert [r.width for r in webp] == [320, 640, 960, 1280, 1600]
    assert webp[-1].height == 800
    for extension in ("webp", "jpg"):
        for rendition in image.renditions(extension):
            assert default_storage.exists(rendition.url.removeprefix("/media/"))


def test_png_keeps_a_png_fallback_and_small_images_are_not_enlarged():
    image = ImageFactory(file=SimpleUploadedFile("logo.png", image_bytes("PNG", size=(300, 100), alpha=True)))

    assert image.fallback_extension == "png"
    assert [(r.width, r.height) for r in image.renditions("png")] == [(300, 100)]


def test_building_renditions_twice_writes_nothing_new():
    image = ImageFactory()

    assert imaging.build_renditions(image_pk=image.pk, original_name=image.file.name) == 0


def test_build_renditions_command_restores_missing_files():
    from django.core.management import call_command

    image = ImageFactory()
    name = image.renditions("webp")[0].url.removeprefix("/media/")
    default_storage.delete(name)

    call_command("build_renditions")

    assert default_storage.exists(name)


def animated_gif(frames: int, size=(200, 100)) -> bytes:
    out = io.BytesIO()
    pictures = [PILImage.new("RGB", size, (colour * 4 % 256, 100, 200)) for colour in range(frames)]
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=100, loop=0)
    return out.getvalue()


def test_an_animated_gif_keeps_its_frames():
    image = image_create(file=upload("loop.gif", animated_gif(5), "image/gif"), alt_text="A looping chart")

    with image.file.open("rb") as fh:
        assert PILImage.open(fh).n_frames == 5


def test_a_truncated_animated_gif_is_refused_cleanly(admin_client):
    data = animated_gif(5)

    response = admin_client.post(ADD_URL, {"file": upload("cut.gif", data[: len(data) * 2 // 3]), "alt_text": "x"})

    assert "damaged or incomplete" in response.context["adminform"].form.errors["file"][0]
    assert not Image.objects.exists()


def test_an_animation_with_too_many_pixels_in_all_its_frames_is_refused(admin_client, settings):
    settings.IMAGE_MAX_MEGAPIXELS = 1

    response = admin_client.post(ADD_URL, {"file": upload("long.gif", animated_gif(60)), "alt_text": "x"})

    assert "60 frames of 200×100 pixels" in response.context["adminform"].form.errors["file"][0]


def test_replacing_the_picture_replaces_its_renditions(admin_client, django_capture_on_commit_callbacks):
    image = ImageFactory(file=SimpleUploadedFile("harbour.jpg", image_bytes(colour=(255, 0, 0))))
    old = {r.url for r in image.renditions("webp") + image.renditions("jpg")}
    old_original = image.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/articles/image/{image.pk}/change/",
            {"file": upload("harbour.jpg", image_bytes(colour=(0, 0, 255))), "alt_text": image.alt_text},
        )

    assert response.status_code == 302
    image.refresh_from_db()
    new = image.renditions("jpg")
    assert not old & {r.url for r in new + image.renditions("webp")}
    with default_storage.open(new[0].url.removeprefix("/media/"), "rb") as fh:
        red, green, blue = PILImage.open(fh).convert("RGB").getpixel((5, 5))
    assert blue > 200 and red < 50
    assert not any(default_storage.exists(url.removeprefix("/media/")) for url in old)
    assert image.file.name != old_original and not default_storage.exists(old_original)


@pytest.mark.django_db(transaction=True)  # renditions are queued when the admin's transaction commits
def test_an_image_whose_file_is_missing_can_still_be_edited(admin_client):
    image = ImageFactory()
    default_storage.delete(image.file.name)

    response = admin_client.post(
        f"/admin/articles/image/{image.pk}/change/", {"alt_text": "Better alt text"}, follow=True
    )

    assert response.status_code == 200
    image.refresh_from_db()
    assert image.alt_text == "Better alt text"


def test_journalists_may_change_only_their_own_images_that_readers_cannot_see(login_as):
    journalist = login_as("Journalist")
    editor = login_as("Editor", "editor")
    unused, on_draft, lead, figure, scheduled, photo = (ImageFactory(uploaded_by=journalist) for _ in range(6))
    colleagues = ImageFactory(uploaded_by=editor)
    ArticleFactory(lead_image=on_draft, status=Article.Status.DRAFT, published_at=None, created_by=journalist)
    ArticleFactory(lead_image=lead, created_by=journalist)
    FigureFactory(image=figure, article=ArticleFactory(created_by=journalist))
    ArticleFactory(lead_image=scheduled, published_at=timezone.now() + timedelta(days=1))
    AuthorFactory(photo=photo, user=journalist)

    assert set(Image.objects.editable_by(journalist)) == {unused, on_draft}
    assert Image.objects.editable_by(editor).count() == 7
    assert {*Image.objects.in_use()} == {lead, figure, scheduled, photo}
    assert colleagues not in Image.objects.editable_by(journalist)


def test_a_picture_placed_in_a_published_story_or_its_live_updates_is_in_use(login_as):
    journalist = login_as("Journalist")
    in_gallery, in_update, in_draft, unused, similar_number = (ImageFactory(uploaded_by=journalist) for _ in range(5))
    in_text = ImageFactory(uploaded_by=journalist, pk=similar_number.pk * 10 + 1)  # its id starts with the other's
    placed = '<figure data-image="{}"><figcaption>Placed</figcaption></figure>'.format
    gallery = f'<div data-gallery="">{placed(in_gallery.pk)}</div>'
    story = ArticleFactory(body=f"<p>Water at the door.</p>{placed(in_text.pk)}{gallery}", created_by=journalist)
    ArticleFactory(body=placed(in_draft.pk), status=Article.Status.DRAFT, published_at=None, created_by=journalist)
    live_blog = LiveBlog.objects.create(article=story)
    LiveUpdate.objects.create(live_blog=live_blog, author=AuthorFactory(), body=placed(in_update.pk))

    assert {*Image.objects.in_use()} == {in_text, in_gallery, in_update}
    assert {*Image.objects.editable_by(journalist)} == {in_draft, unused, similar_number}


def test_an_image_placed_in_a_published_story_cannot_be_replaced_by_its_uploader(client, login_as):
    journalist = login_as("Journalist")
    image = ImageFactory(uploaded_by=journalist)
    name = image.file.name
    ArticleFactory(body=f'<figure data-image="{image.pk}"></figure>', created_by=journalist)

    page = client.get(f"/admin/articles/image/{image.pk}/change/")
    forged = client.post(
        f"/admin/articles/image/{image.pk}/change/",
        {"file": upload("other.png", image_bytes(fmt="PNG"), "image/png"), "alt_text": "Something else"},
    )

    assert page.status_code == 200 and 'type="file"' not in page.content.decode()
    assert forged.status_code == 403
    image.refresh_from_db()
    assert image.file.name == name and image.alt_text != "Something else"


def test_an_image_on_a_published_story_is_read_only_for_its_uploader_and_says_why(client, login_as):
    journalist = login_as("Journalist")
    image = ImageFactory(uploaded_by=journalist)
    ArticleFactory(lead_image=image, created_by=journalist)

    page = client.get(f"/admin/articles/image/{image.pk}/change/")
    forged = client.post(f"/admin/articles/image/{image.pk}/delete/", {"post": "yes"})

    html = page.content.decode()
    assert page.status_code == 200 and 'type="file"' not in html
    assert "only editors can change it" in html
    assert forged.status_code == 403 and Image.objects.filter(pk=image.pk).exists()


def test_a_journalist_still_uses_any_image_in_their_own_draft(client, login_as):
    journalist = login_as("Journalist")
    editors_picture = ImageFactory()
    ArticleFactory(lead_image=editors_picture)
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, created_by=journalist)

    response = client.post(
        change_url(draft), form_data(draft, str(draft.version), lead_image=editors_picture.pk, status="draft")
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.lead_image == editors_picture


def test_until_its_renditions_exist_a_page_shows_the_original_and_never_a_missing_file(client):
    image = ImageFactory(renditions=False, file=SimpleUploadedFile("quay.jpg", image_bytes(size=(1000, 600))))
    article = ArticleFactory(lead_image=image)

    html = client.get(article.get_absolute_url()).content.decode()

    assert image.built_widths == []
    assert image.renditions("webp") == ()
    [original] = image.renditions("jpg")
    assert (original.url, original.width, original.height) == (f"/media/{image.file.name}", 1000, 600)
    assert f'src="/media/{image.file.name}"' in html and 'type="image/webp"' not in html
    assert "/renditions/" not in html


def test_a_page_points_at_the_renditions_once_the_worker_has_made_them(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the upload commits; its task runs (eagerly here)
        image = image_create(file=upload("quay.jpg", image_bytes(size=(1000, 600))), alt_text="The quay")
    article = ArticleFactory(lead_image=image)

    image.refresh_from_db()
    html = client.get(article.get_absolute_url()).content.decode()

    assert image.built_widths == [320, 640, 960, 1000]
    for rendition in image.renditions("webp") + image.renditions("jpg"):
        assert default_storage.exists(rendition.url.removeprefix("/media/"))
        assert rendition.url in html


def test_two_workers_building_the_same_renditions_leave_one_copy_of_each():
    class LookedTooEarly:
        """The storage as a second worker saw it: it looked before the first one wrote, so it writes them all."""

        def exists(self, name):
            return False

        def __getattr__(self, name):
            return getattr(default_storage, name)

    image = ImageFactory(renditions=False)
    first = imaging.build_renditions(image_pk=image.pk, original_name=image.file.name)
    second = imaging.build_renditions(image_pk=image.pk, original_name=image.file.name, storage=LookedTooEarly())

    _, files = default_storage.listdir(imaging.rendition_folder(image.pk))
    assert first == second == len(files) == 2 * len(imaging.rendition_widths(image.width))
    assert sorted(files) == sorted(
        imaging.rendition_name(image.pk, image.file.name, w, e).rpartition("/")[2]
        for w in imaging.rendition_widths(image.width)
        for e in ("webp", "jpg")
    )


def test_the_scheduler_queues_renditions_that_were_never_made(settings, django_capture_on_commit_callbacks):
    stale = ImageFactory(renditions=False)
    fresh = ImageFactory(renditions=False)
    done = ImageFactory()
    Image.objects.filter(pk__in=[stale.pk, done.pk]).update(uploaded_at=timezone.now() - timedelta(minutes=10))

    from articles.tasks import queue_missing_renditions

    with django_capture_on_commit_callbacks(execute=True):
        assert queue_missing_renditions() == 1  # the recent upload's own task is still on its way
    stale.refresh_from_db(), fresh.refresh_from_db()
    assert stale.built_widths == imaging.rendition_widths(stale.width)
    assert fresh.built_widths == []


def test_deleting_an_image_removes_its_files(admin_client, django_capture_on_commit_callbacks):
    image = ImageFactory()
    names = [image.file.name, *(r.url.removeprefix("/media/") for r in image.renditions("webp"))]
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/articles/image/{image.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_the_build_renditions_command_fills_gaps_left_by_lost_tasks():
    image = ImageFactory(renditions=False)

    call_command("build_renditions")

    image.refresh_from_db()
    assert image.built_widths == imaging.rendition_widths(image.width)
    assert all(default_storage.exists(r.url.removeprefix("/media/")) for r in image.renditions("webp"))
