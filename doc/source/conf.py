# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Sphinx configuration for the powervc-osc documentation."""

import os
import sys

# The package is normally installed (tox installs it in develop mode);
# this makes a plain ``sphinx-build`` from a clone work as well.
sys.path.insert(0, os.path.abspath(os.path.join('..', '..')))
# Local extensions (the reference-code table).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '_exts'))

# -- General configuration ---------------------------------------------------

extensions = [
    'sphinx.ext.autodoc',
    'openstackdocstheme',
    'cliff.sphinxext',
    'refcode_table',
]

# The CLI reference: ``.. autoprogram-cliff:: openstack.compute.v2`` shows
# the commands as ``openstack server refcode ...``.
autoprogram_cliff_application = 'openstack'

# Python API reference.
autodoc_member_order = 'bysource'
autodoc_typehints = 'signature'

source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'
project = 'powervc-osc'
copyright = '2025, powervc_osc developers'

exclude_patterns = ['_build']
pygments_style = 'native'
add_module_names = False
# Keep '--option' as typed in command help (no en dashes).
smartquotes = False
show_authors = False

# -- openstackdocstheme ------------------------------------------------------

openstackdocs_repo_name = 'x/powervc-osc'
openstackdocs_bug_project = 'powervc-osc'
openstackdocs_bug_tag = 'doc'
openstackdocs_use_storyboard = False
openstackdocs_auto_name = False

# -- Options for HTML output -------------------------------------------------

html_theme = 'openstackdocs'
html_static_path = []
htmlhelp_basename = 'powervc-osc-doc'

# -- Options for LaTeX output ------------------------------------------------

latex_documents = [
    ('index', 'doc-powervc-osc.tex', 'powervc-osc Documentation',
     'powervc_osc developers', 'manual'),
]
