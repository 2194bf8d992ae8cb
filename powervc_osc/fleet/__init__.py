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

"""The fleet: listing servers and reading their codes in bulk, gently.

* :mod:`~powervc_osc.fleet.listing`: the paged Nova server listing and
  its filters;
* :mod:`~powervc_osc.fleet.reads`: the metadata reads of a listing's
  servers, page by page;
* :mod:`~powervc_osc.fleet.freshness`: which listed codes are recent
  enough (``--max-age``) and PowerVC's zone;
* :mod:`~powervc_osc.fleet.budget`: the request rate (``--max-rate``) and
  the workers it needs.

:class:`~powervc_osc.client.RefcodeClient` drives them; nothing here imports
the client.
"""
