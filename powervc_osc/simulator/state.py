# Copyright 2026 The powervc_osc Authors
#
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

"""The simulated PowerVC fleet and its semantics (no HTTP here).

The directory, hosts and default fleet: :mod:`powervc_osc.simulator.records`.

Refcode semantics:

* Setting ``powervc:vm_refcode_required`` (POST merge, PUT replace or the
  single-key PUT) accepts ``true``/``false`` in any case (else 400), only
  for IBM i and AIX (else 400) and, for IBM i, only on a NovaLink host
  (else 400).  A rejected request writes nothing.
* When it turns true, the VM starts a boot sequence
  (:mod:`powervc_osc.simulator.bootseq`) and the old refcode keys are
  removed; the first code appears after one ``step_seconds``.
* Each metadata GET of a VM whose flag is true refreshes
  ``powervc:vm_refcode``, ``powervc:vm_led_code`` and
  ``powervc:vm_refcode_query_ts`` (``YYYYMMDDhhmmssffffff`` in the local
  time of ``zone_offset_minutes``, UTC by default; strictly increasing
  over the whole simulator).
* When it turns false, the refcode keys stay with their last values and
  are no longer refreshed.
* The server listing and ``GET /servers/{id}`` show the stored metadata
  without refreshing it.
"""


import re
import threading
import typing as ty

from powervc_osc.simulator import bootseq
from powervc_osc.simulator import records
from powervc_osc.simulator import settings as sim_settings


class SimulatorState:
    """The fleet, thread-safe.

    :param settings: a
        :class:`~powervc_osc.simulator.settings.SimulatorSettings`; this
        class uses its ``servers``, ``seed``, ``step_seconds``,
        ``max_limit``, ``clock`` (advanced by :meth:`advance`),
        ``wall_clock`` and ``admin_only_host`` (which also ignores the
        ``host`` listing filter for non-admin users).
    :param fields: settings fields replacing those of ``settings``.
    """

    def __init__(self, settings: sim_settings.SimulatorSettings | None = None,
                 **fields: ty.Any) -> None:
        settings = sim_settings.resolve(settings, **fields)
        self.lock = threading.RLock()
        self.seed = settings.seed
        self.step_seconds = settings.step_seconds
        self.max_limit = settings.max_limit
        self.admin_only_host_filter = settings.admin_only_host
        # SimulatorSettings.__post_init__ fills the clocks left None.
        self._clock = ty.cast(ty.Callable[[], float], settings.clock)
        self._wall_clock = ty.cast(ty.Callable[[], float],
                                   settings.wall_clock)
        self.zone_offset_minutes = settings.zone_offset_minutes
        self._offset = 0.0
        self._last_ts = 0
        self._servers: dict[str, records.Server] = {}
        self._name_counts: dict[str, int] = {}
        self._instance_counter = 0
        self.hosts: dict[str, records.Host] = {}
        for name, manager in ((records.HOST_NL1, records.NOVALINK),
                              (records.HOST_NL2, records.NOVALINK),
                              ('S924_78ABCDX', records.NOVALINK),
                              (records.HOST_HMC, records.HMC)):
            self.add_host(name, manager)
        servers = settings.servers
        if servers is None:
            specs = records.default_fleet()
            for index, spec in enumerate(specs):
                spec.setdefault('created', records.FLEET_EPOCH + 60 * index)
        elif isinstance(servers, int):
            specs = records.generated_fleet(servers, self.seed)
        else:
            specs = list(servers)
        for spec in specs:
            self.add_server(**spec)

    # -- clocks -------------------------------------------------------

    def now(self) -> float:
        """The monotonic time (with the :meth:`advance` offset)."""
        return self._clock() + self._offset

    def wall_now(self) -> float:
        """Epoch seconds (with the :meth:`advance` offset)."""
        return self._wall_clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds``."""
        with self.lock:
            self._offset += float(seconds)

    def _next_query_ts(self) -> str:
        micros = int(round(self.wall_now() * 1000000))
        if micros <= self._last_ts:
            micros = self._last_ts + 1
        self._last_ts = micros
        return records.format_query_ts(micros, self.zone_offset_minutes)

    # -- fleet management (no authorization) --------------------------

    def add_host(self, name: str, manager: str = records.NOVALINK,
                 hypervisor_hostname: str | None = None) -> records.Host:
        if manager not in (records.NOVALINK, records.HMC):
            raise ValueError('manager must be %r or %r'
                             % (records.NOVALINK, records.HMC))
        with self.lock:
            host = records.Host(name, manager, hypervisor_hostname or name)
            self.hosts[name] = host
            return host

    def add_server(self, name: str, os_type: str = records.OS_IBMI,
                   host: str = records.HOST_NL1,
                   project: str = records.PROJECT_DEFAULT,
                   user: str | None = None, status: str = 'ACTIVE',
                   metadata: ty.Mapping[str, str] | None = None,
                   refcode: bool = False, boot_progress: float = 1.0,
                   stuck_at: str | None = None,
                   server_id: str | None = None,
                   created: float | None = None, flavor: str | None = None,
                   pace: float = 1.0, boot_loop: bool = False,
                   ) -> records.Server:
        """Add a server; returns a copy of it.

        :param os_type: ``ibmi``, ``aix`` or ``linux``.
        :param host: a host name (added as NovaLink if unknown).
        :param project: a project name or id.
        :param user: a user name (default: the project's first user).
        :param metadata: ordinary metadata.
        :param refcode: True to start with ``powervc:vm_refcode_required``
            true (regardless of the API's rules).
        :param boot_progress: for ``refcode=True``: the fraction of the
            boot sequence already done (1.0: steady, 0.0: just enabled).
        :param stuck_at: a code the boot sequence hangs at (an error
            code such as ``B2008105``, a progress code such as
            ``C6004031``, or an attention code such as ``A9002000``).
        :param boot_loop: start the boot sequence again after its last
            step, for ever; with ``stuck_at`` an error code, a boot loop.
        :param pace: this server's steps last ``pace * step_seconds``.
        :param server_id: an explicit id (default :func:`server_uuid`).
        :param created: epoch seconds (default: now).
        """
        if os_type not in records.OS_TYPES:
            raise ValueError('os_type must be one of %s' % (records.OS_TYPES,))
        with self.lock:
            if host not in self.hosts:
                self.add_host(host)
            host_obj = self.hosts[host]
            project_id = records.PROJECTS.get(project, project)
            if user is None:
                user = next((u.name for u in records.USERS.values()
                             if records.PROJECTS[u.project] == project_id),
                            'admin')
            user_id = records.USERS[user].id if user in records.USERS else user
            count = self._name_counts.get(name, 0) + 1
            if server_id is None:
                server_id = records.server_uuid(name, count)
                while server_id in self._servers:
                    count += 1
                    server_id = records.server_uuid(name, count)
            if server_id in self._servers:
                raise ValueError('duplicate server id %s' % server_id)
            self._name_counts[name] = count
            self._instance_counter += 1
            created = self.wall_now() if created is None else created
            server = records.Server(
                id=server_id, name=name, project_id=project_id,
                user_id=user_id, host=host_obj.name,
                hypervisor_hostname=host_obj.hypervisor_hostname,
                manager=host_obj.manager,
                availability_zone=host_obj.availability_zone,
                os_type=os_type, status=status,
                flavor=records.FLAVORS[
                    flavor or records.DEFAULT_FLAVOR[os_type]],
                metadata=dict(metadata or {}), created=created,
                updated=created,
                instance_name='%s-%08x' % (name[:20],
                                           self._instance_counter),
                stuck_at=stuck_at, boot_loop=bool(boot_loop),
                pace=float(pace))
            self._servers[server_id] = server
            if refcode:
                server.metadata[records.REQUIRED] = 'true'
                self._start_boot(server)
                steps = len(server.boot_steps)
                elapsed = (boot_progress * steps * self.step_seconds *
                           server.pace)
                server.boot_started = self.now() - elapsed
                self._refresh(server)
            return server.copy()

    def servers(self) -> list[records.Server]:
        """Copies of every server, in listing order."""
        with self.lock:
            return [s.copy() for s in self._sorted(self._servers.values())]

    def find(self, name: str) -> list[records.Server]:
        """Copies of the servers called exactly ``name``."""
        return [s for s in self.servers() if s.name == name]

    def server_id(self, name: str) -> str:
        """The id of the only server called ``name``."""
        found = self.find(name)
        if len(found) != 1:
            raise LookupError('%d servers called %r' % (len(found), name))
        return found[0].id

    def raw_metadata(self, server_id: str) -> dict[str, ty.Any]:
        """The stored metadata, without refresh or authorization."""
        with self.lock:
            return dict(self._servers[server_id].metadata)

    def flavors(self) -> list[records.Flavor]:
        return list(records.FLAVORS.values())

    # -- the compute API ----------------------------------------------

    def _lookup(self, ctx: records.Context, server_id: str) -> records.Server:
        server = self._servers.get(server_id)
        # Nova reads a server within the caller's project unless the
        # caller is an admin: another project's server is not found.
        if server is None or (server.project_id != ctx.project_id and
                              not ctx.is_admin):
            raise records.NotFound(
                'Instance %s could not be found.' % server_id)
        return server

    def get_server(self, ctx: records.Context,
                   server_id: str) -> records.Server:
        with self.lock:
            return self._lookup(ctx, server_id).copy()

    @staticmethod
    def _sort_key(server: records.Server) -> tuple[float, str]:
        return (server.created, server.id)

    def _sorted(self, servers: ty.Iterable[records.Server],
                ) -> list[records.Server]:
        return sorted(servers, key=self._sort_key, reverse=True)

    def list_servers(self, ctx: records.Context, name: str | None = None,
                     host: str | None = None,
                     status: str | ty.Sequence[str] | None = None,
                     all_tenants: bool = False,
                     project_id: str | None = None,
                     limit: int | None = None, marker: str | None = None,
                     ) -> tuple[list[records.Server], str | None]:
        """One page of servers, newest first (created, then id, desc).

        :param status: a status or a list of statuses (case-insensitive).
        :param limit: page size; None or 0 means ``max_limit``, larger
            values are capped to it.
        :returns: ``(servers, next_marker)``; ``next_marker`` is the last
            id when the page is full, else None.
        """
        if limit is None or limit == 0:
            limit = self.max_limit
        if limit < 0:
            raise records.BadRequest('limit param must be positive')
        limit = min(limit, self.max_limit)
        regex = None
        if name is not None:
            try:
                regex = re.compile(name)
            except re.error:
                raise records.BadRequest(
                    'Invalid regular expression: %s' % name)
        if isinstance(status, str):
            status = [status]
        statuses = {s.upper() for s in status or ()}
        with self.lock:
            if all_tenants and ctx.is_admin:
                visible = list(self._servers.values())
                if project_id:
                    visible = [s for s in visible
                               if s.project_id == project_id]
            else:
                visible = [s for s in self._servers.values()
                           if s.project_id == ctx.project_id]
            start_key = None
            if marker is not None:
                mark = self._servers.get(marker)
                if mark is None or all(s is not mark for s in visible):
                    raise records.BadRequest('marker [%s] not found' % marker)
                start_key = self._sort_key(mark)
            if self.admin_only_host_filter and not ctx.is_admin:
                host = None
            result = []
            for server in self._sorted(visible):
                if (start_key is not None and
                        self._sort_key(server) >= start_key):
                    continue
                if regex is not None and not regex.search(server.name):
                    continue
                if host is not None and server.host != host:
                    continue
                if statuses and server.status.upper() not in statuses:
                    continue
                result.append(server.copy())
                if len(result) >= limit:
                    break
            next_marker = result[-1].id if len(result) == limit else None
            return result, next_marker

    # -- metadata -----------------------------------------------------

    @staticmethod
    def validate_metadata(metadata: ty.Any) -> None:
        """Nova's schema: a dict of 1-255 char keys to <= 255 char str."""
        if not isinstance(metadata, dict):
            raise records.BadRequest('Malformed request body')
        for key, value in metadata.items():
            if not isinstance(key, str) or not 1 <= len(key) <= 255:
                raise records.BadRequest(
                    'Invalid input for field/attribute metadata. Value: '
                    '%r. Keys must be 1 to 255 characters long' % (key,))
            if not isinstance(value, str):
                raise records.BadRequest(
                    'Invalid input for field/attribute %s. Value: %r. '
                    '%r is not of type \'string\'' % (key, value, value))
            if len(value) > 255:
                raise records.BadRequest(
                    'Invalid input for field/attribute %s. Value is too '
                    'long (max 255 characters)' % key)

    def _check_refcode_rules(self, server: records.Server,
                             metadata: ty.Mapping[str, str]) -> bool:
        """400 unless the refcode flag may be set on ``server``."""
        if records.REQUIRED not in metadata:
            return False
        value = metadata[records.REQUIRED]
        if value.strip().lower() not in ('true', 'false'):
            raise records.BadRequest(
                "Invalid value %r for %s: it must be 'true' or 'false'."
                % (value, records.REQUIRED))
        if server.os_type not in records.REFCODE_OS_TYPES:
            raise records.BadRequest(
                'ref_code is supported only for IBM i and AIX virtual '
                'machines. Virtual machine %s is %s.'
                % (server.id, server.os_type))
        if (server.os_type == records.OS_IBMI
                and server.manager != records.NOVALINK):
            raise records.BadRequest(
                'ref_code update for IBM i is only supported for virtual '
                'machines on a NovaLink host. Host %s is managed by an HMC.'
                % server.host)
        return True

    @staticmethod
    def _check_quota(metadata: ty.Mapping[str, str]) -> None:
        if len(metadata) > records.MAX_METADATA_ITEMS:
            raise records.Forbidden(
                'Quota exceeded for metadata_items: Requested %d, but '
                'already used 0 of %d metadata_items'
                % (len(metadata), records.MAX_METADATA_ITEMS))

    def _start_boot(self, server: records.Server) -> None:
        server.boot_runs += 1
        if server.status == 'SHUTOFF':
            server.boot_steps = bootseq.not_activated(server.os_type)
        else:
            server.boot_steps = bootseq.build_sequence(
                server.os_type, self.seed, server.name,
                run=server.boot_runs - 1, stuck_at=server.stuck_at)
        server.boot_started = self.now()

    def _write(self, server: records.Server,
               new_metadata: dict[str, ty.Any]) -> None:
        """Store ``new_metadata``, handling refcode flag transitions."""
        was = server.refcode_required
        now = records.is_true(new_metadata.get(records.REQUIRED))
        if now and not was:
            for key in records.REFCODE_KEYS:
                new_metadata.pop(key, None)
            server.metadata = new_metadata
            self._start_boot(server)
        else:
            if was and not now:
                server.boot_started = None
            server.metadata = new_metadata
        server.updated = max(server.updated, self.wall_now())

    def _refresh(self, server: records.Server) -> None:
        if (not server.refcode_required or server.boot_started is None or
                server.os_type not in records.REFCODE_OS_TYPES):
            return
        step = bootseq.position(server.boot_steps,
                                self.now() - server.boot_started,
                                self.step_seconds * server.pace,
                                loop=server.boot_loop)
        if step is None:
            return
        refcode, led_code = step
        server.metadata[records.REFCODE] = refcode
        server.metadata[records.LED_CODE] = led_code
        server.metadata[records.QUERY_TS] = self._next_query_ts()

    @staticmethod
    def _check_vm_state(server: records.Server, action: str) -> None:
        """409, as Nova, unless ``server``'s metadata may change now."""
        if server.vm_state not in records.METADATA_VM_STATES:
            raise records.Conflict(
                "Cannot '%s' instance %s while it is in vm_state %s"
                % (action, server.id, server.vm_state))

    def _answer(self, server: records.Server,
                with_host: bool) -> dict[str, ty.Any]:
        answer = dict(server.metadata)
        if with_host:
            answer[records.ORIGINAL_HOST] = server.host
        return answer

    def get_metadata(self, ctx: records.Context,
                     server_id: str) -> dict[str, ty.Any]:
        """``GET /servers/{id}/metadata``: refreshes refcode keys."""
        with self.lock:
            server = self._lookup(ctx, server_id)
            self._refresh(server)
            return dict(server.metadata)

    def update_metadata(self, ctx: records.Context, server_id: str,
                        metadata: dict[str, ty.Any]) -> dict[str, ty.Any]:
        """``POST /servers/{id}/metadata``: merge.

        The answer is the merged metadata, plus ``original_host`` when the
        request set the refcode flag.
        """
        self.validate_metadata(metadata)
        with self.lock:
            server = self._lookup(ctx, server_id)
            self._check_vm_state(server, 'update metadata')
            flag = self._check_refcode_rules(server, metadata)
            merged = dict(server.metadata)
            merged.update(metadata)
            self._check_quota(merged)
            self._write(server, merged)
            return self._answer(server, flag)

    def replace_metadata(self, ctx: records.Context, server_id: str,
                         metadata: dict[str, ty.Any]) -> dict[str, ty.Any]:
        """``PUT /servers/{id}/metadata``: replace everything."""
        self.validate_metadata(metadata)
        with self.lock:
            server = self._lookup(ctx, server_id)
            self._check_vm_state(server, 'update metadata')
            flag = self._check_refcode_rules(server, metadata)
            self._check_quota(metadata)
            self._write(server, dict(metadata))
            return self._answer(server, flag)

    def get_metadata_item(self, ctx: records.Context, server_id: str,
                          key: str) -> ty.Any:
        with self.lock:
            server = self._lookup(ctx, server_id)
            if key in records.REFCODE_KEYS:
                self._refresh(server)
            if key not in server.metadata:
                raise records.NotFound('Metadata item was not found')
            return server.metadata[key]

    def set_metadata_item(self, ctx: records.Context, server_id: str, key: str,
                          value: ty.Any) -> ty.Any:
        """``PUT /servers/{id}/metadata/{key}``."""
        self.validate_metadata({key: value})
        with self.lock:
            server = self._lookup(ctx, server_id)
            self._check_vm_state(server, 'update metadata')
            self._check_refcode_rules(server, {key: value})
            merged = dict(server.metadata)
            merged[key] = value
            self._check_quota(merged)
            self._write(server, merged)
            return value

    def delete_metadata_item(self, ctx: records.Context, server_id: str,
                             key: str) -> None:
        """``DELETE /servers/{id}/metadata/{key}``."""
        with self.lock:
            server = self._lookup(ctx, server_id)
            self._check_vm_state(server, 'delete metadata')
            if key not in server.metadata:
                raise records.NotFound('Metadata item was not found')
            remaining = dict(server.metadata)
            del remaining[key]
            self._write(server, remaining)
