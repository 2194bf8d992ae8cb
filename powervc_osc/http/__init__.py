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

"""The HTTP layer: one compute request, its retries, deadline and errors.

* :mod:`~powervc_osc.http.compute`: :class:`ComputeHTTP`, the retry,
  re-login and redirect loop;
* :mod:`~powervc_osc.http.deadline`: the deadline of each attempt and
  the watchdog that enforces it;
* :mod:`~powervc_osc.http.transport`: keystoneauth's transport with
  urllib3 pools whose sockets the deadline watches;
* :mod:`~powervc_osc.http.errors`: failures and error bodies as one line.

Nothing here knows about reference codes.
"""
