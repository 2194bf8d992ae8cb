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

"""The Prometheus collector: the last poll of each cloud, as metrics.

A scrape reads the :class:`~.state.Board` only (it never calls PowerVC),
so a series whose server or code is gone disappears at the next poll.
Names and labels (a stable interface, documented in exporter.rst):

``powervc_refcode_info``
    1 per server; labels ``cloud``, ``server_id``, ``server_name``,
    ``host``, ``refcode``, ``led_code``, ``category``
``powervc_refcode_last_change_timestamp_seconds``
    when the code or LED text last changed (``cloud``, ``server_id``)
``powervc_refcode_query_timestamp_seconds``
    PowerVC's query time of the code (read as UTC)
``powervc_refcode_collecting``
    1 when collection is on for the server, else 0
``powervc_up``, ``powervc_poll_duration_seconds``,
``powervc_poll_failures_total``, ``powervc_poll_server_errors``,
``powervc_last_success_timestamp_seconds``
    per ``cloud``
``powervc_poll_failure``
    per ``cloud`` and ``reason`` (every reason of
    :data:`~.state.REASONS`): 1 for the reason of the last poll's failure
``powervc_exporter_build_info``
    1, label ``version`` (:func:`register_build_info`)

The counts of survived errors are :mod:`.health`'s.
"""

from __future__ import annotations

import typing as ty

from prometheus_client import core
from prometheus_client import registry

from powervc_osc.exporter import state

SERVER_LABELS = ('cloud', 'server_id')
INFO_LABELS = ('server_name', 'host', 'refcode', 'led_code', 'category')

_Value = ty.Callable[[state.CloudState], ty.Optional[float]]
#: The series of each cloud, labelled ``cloud`` only: family, name, help,
#: and the cloud's value (None: no sample).
_CLOUD_SERIES: tuple[tuple[type, str, str, _Value], ...] = (
    (core.GaugeMetricFamily, 'powervc_up',
     '1 when the last poll of the cloud succeeded',
     lambda cloud: 1 if cloud.up else 0),
    (core.GaugeMetricFamily, 'powervc_poll_duration_seconds',
     'Seconds the last poll of the cloud took',
     lambda cloud: cloud.duration),
    (core.CounterMetricFamily, 'powervc_poll_failures',
     'Polls of the cloud that failed since the exporter started',
     lambda cloud: cloud.failures),
    (core.GaugeMetricFamily, 'powervc_poll_server_errors',
     'Servers whose code the last successful poll could not read',
     lambda cloud: cloud.server_errors),
    (core.GaugeMetricFamily, 'powervc_last_success_timestamp_seconds',
     'Unix time of the last successful poll of the cloud',
     lambda cloud: cloud.last_success),
)


def register_build_info(target: registry.CollectorRegistry,
                        version: str) -> None:
    """Add ``powervc_exporter_build_info{version="..."} 1`` to ``target``."""
    from prometheus_client import metrics as client_metrics

    client_metrics.Info(
        'powervc_exporter_build', 'The running powervc-osc-exporter '
        '(value 1)', registry=target).info({'version': version})


def _text(value: str | None) -> str:
    """A label value: absent is empty (Prometheus's 'no label')."""
    return '' if value is None else value


class RefcodeCollector(registry.Collector):
    """Yields the metrics of the last poll of every cloud.

    It is read once per poll, when :class:`~.serving.Exposition` renders
    the page, never per scrape.
    """

    def __init__(self, board: state.Board) -> None:
        self._board = board

    def collect(self) -> ty.Iterator[core.Metric]:
        clouds = self._board.states()
        yield from self._server_metrics(clouds)
        yield from self._cloud_metrics(clouds)

    @staticmethod
    def _server_metrics(clouds: list[state.CloudState],
                        ) -> ty.Iterator[core.Metric]:
        info = core.InfoMetricFamily(
            'powervc_refcode', 'The reference code of a server (value 1)',
            labels=SERVER_LABELS)
        changed = core.GaugeMetricFamily(
            'powervc_refcode_last_change_timestamp_seconds',
            'Unix time the reference code or LED text last changed',
            labels=SERVER_LABELS)
        queried = core.GaugeMetricFamily(
            'powervc_refcode_query_timestamp_seconds',
            'Unix time PowerVC queried the reference code',
            labels=SERVER_LABELS)
        collecting = core.GaugeMetricFamily(
            'powervc_refcode_collecting',
            '1 when PowerVC collects reference codes for the server',
            labels=SERVER_LABELS)
        for cloud in clouds:
            for server in cloud.servers:
                rc = server.row
                key = [cloud.cloud, rc.server_id]
                info.add_metric(key, dict(zip(INFO_LABELS, map(_text, (
                    rc.server_name, rc.host, rc.refcode, rc.led_code,
                    server.category)))))
                if server.changed_at is not None:
                    changed.add_metric(key, server.changed_at)
                query_time = state.unix_time(rc.queried_at,
                                             cloud.zone_offset)
                if query_time is not None:
                    queried.add_metric(key, query_time)
                collecting.add_metric(key, 1 if rc.required else 0)
        return iter((info, changed, queried, collecting))

    @staticmethod
    def _cloud_metrics(clouds: list[state.CloudState],
                       ) -> ty.Iterator[core.Metric]:
        for kind, name, text, value in _CLOUD_SERIES:
            family = kind(name, text, labels=('cloud',))
            for cloud in clouds:
                sample = value(cloud)
                if sample is not None:
                    family.add_metric([cloud.cloud], sample)
            yield family
        failure = core.GaugeMetricFamily(
            'powervc_poll_failure',
            '1 for the reason the last poll of the cloud failed: '
            'unreachable, authentication, permission or usage',
            labels=('cloud', 'reason'))
        for cloud in clouds:
            for reason in state.REASONS:
                failure.add_metric([cloud.cloud, reason],
                                   1 if reason == cloud.reason else 0)
        yield failure
