"""Every reStructuredText page (README, CHANGELOG, docs/) renders with docutils alone.

The docs promise to be readable on GitHub and renderable without Sphinx;
a merge that leaves a conflict marker in a table, a heading whose underline
is too short or a Sphinx-only role shows up here as a docutils warning.
"""
import glob
import os

import pytest
from docutils.core import publish_doctree
from docutils.utils import SystemMessage

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGES = sorted(['README.rst', 'CHANGELOG.rst'] + [
    os.path.relpath(path, ROOT) for path in glob.glob(os.path.join(ROOT, 'docs', '*.rst'))])


def test_the_pages_are_found():
    assert 'docs/index.rst' in PAGES and 'docs/deploy.rst' in PAGES


@pytest.mark.parametrize('page', PAGES)
def test_page_renders_without_warnings(page):
    with open(os.path.join(ROOT, page), encoding='utf-8') as f:
        text = f.read()
    try:
        publish_doctree(text, source_path=page, settings_overrides={
            'halt_level': 2, 'report_level': 2, 'warning_stream': False,
            'file_insertion_enabled': False, 'raw_enabled': False})
    except SystemMessage as message:
        pytest.fail('%s does not render cleanly: %s' % (page, message))
