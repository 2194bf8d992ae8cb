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

"""The metrics endpoint on loopback: rendered per poll, never held."""

import gzip
import http.client
import json
import os
import socket
import ssl
import threading

import fixtures

from prometheus_client.openmetrics import parser as om_parser
from prometheus_client import parser

from powervc_osc.exporter import changes
from powervc_osc.exporter import cli
from powervc_osc.exporter import fleet_view
from powervc_osc.exporter import serving
from powervc_osc.exporter import webconfig
from powervc_osc import history
from powervc_osc import model
from powervc_osc.tests import tls_fixtures as tf
from powervc_osc.tests.unit.exporter import base
from powervc_osc.tests.unit.exporter import test_metrics

#: Safety net of every socket operation (never reached when it works).
SAFETY = 30


class ServingTestCase(base.ExporterTestCase):

    def setUp(self):
        super().setUp()
        self.page = cli.make_exposition(self.board)
        self.server = self.serve()

    def serve(self, **kwargs):
        server = serving.MetricsServer(self.page, '127.0.0.1', 0,
                                       **kwargs).start()
        self.addCleanup(server.stop)
        return server

    def get(self, path='/metrics', headers=None, server=None):
        server = server or self.server
        conn = http.client.HTTPConnection('127.0.0.1', server.port,
                                          timeout=SAFETY)
        self.addCleanup(conn.close)
        conn.request('GET', path, headers=headers or {})
        answer = conn.getresponse()
        return answer, answer.read()

    def publish(self, *servers):
        self.fleet(list(servers))
        self.poll(self.poller())
        self.page.render()

    def idle_socket(self, server=None):
        """A client that connects and never sends a byte."""
        sock = socket.create_connection(
            ('127.0.0.1', (server or self.server).port), timeout=SAFETY)
        self.addCleanup(sock.close)
        return sock


class TestPage(ServingTestCase):

    def test_serves_the_last_rendered_poll(self):
        self.publish(test_metrics.STUCK)
        answer, body = self.get()
        self.assertEqual(200, answer.status)
        self.assertEqual(serving.CONTENT_TYPE,
                         answer.getheader('Content-Type'))
        text = body.decode('utf-8')
        self.assertIn('refcode="B2008105"', text)
        self.assertIn('powervc_up{cloud="prod"} 1.0', text)
        self.assertIn('process_', text)
        names = {f.name for f in parser.text_string_to_metric_families(text)}
        self.assertIn('powervc_refcode_info', names)

    def test_the_page_is_rendered_once_per_poll_not_per_scrape(self):
        self.publish(test_metrics.STUCK)
        renders = self.page.renders
        for _ in range(5):
            self.get()
        self.assertEqual(renders, self.page.renders)
        # A poll not yet rendered is not served: the page is the last one.
        self.fleet([test_metrics.BOOTING])
        self.poll(self.poller())
        self.assertIn(b'B2008105', self.get()[1])
        self.page.render()
        self.assertIn(b'C6004031', self.get()[1])

    def test_render_soon_renders_in_its_own_thread(self):
        rendered = threading.Event()
        threads = []
        render = self.page.render

        def recorded():
            render()
            threads.append(threading.current_thread().name)
            rendered.set()

        self.page.render = recorded
        self.fleet([test_metrics.STUCK])
        self.poll(self.poller())
        self.page.render_soon()
        self.assertTrue(rendered.wait(SAFETY))
        self.assertEqual(['metrics-render'], threads)
        self.assertIn(b'B2008105', self.get()[1])
        self.page.stop()

    def test_stop_ends_the_render_thread(self):
        before = set(threading.enumerate())
        self.page.render_soon()
        started = set(threading.enumerate()) - before
        self.assertEqual(['metrics-render'], [t.name for t in started])
        self.page.stop()
        self.assertEqual([], [t for t in started if t.is_alive()])
        # A poll that ends during the shutdown starts no new thread.
        self.page.render_soon()
        self.assertEqual(set(), set(threading.enumerate()) - before)

    def test_gzip_when_asked(self):
        self.publish(test_metrics.STUCK)
        answer, body = self.get(headers={'Accept-Encoding': 'gzip'})
        self.assertEqual('gzip', answer.getheader('Content-Encoding'))
        text = gzip.decompress(body).decode('utf-8')
        self.assertEqual(self.get()[1].decode('utf-8').split('process_')[0],
                         text.split('process_')[0])
        self.assertIn('process_', text)

    def test_other_paths_and_methods(self):
        self.assertEqual(200, self.get('/')[0].status)
        self.assertIn(b'/metrics', self.get('/')[1])
        self.assertEqual(404, self.get('/nothing')[0].status)
        conn = http.client.HTTPConnection('127.0.0.1', self.server.port,
                                          timeout=SAFETY)
        self.addCleanup(conn.close)
        conn.request('POST', '/metrics', body=b'x')
        self.assertEqual(405, conn.getresponse().status)

    def test_head_sends_no_body(self):
        conn = http.client.HTTPConnection('127.0.0.1', self.server.port,
                                          timeout=SAFETY)
        self.addCleanup(conn.close)
        conn.request('HEAD', '/metrics')
        answer = conn.getresponse()
        self.assertEqual(200, answer.status)
        self.assertEqual(b'', answer.read())

    def test_keep_alive_serves_several_scrapes_on_one_connection(self):
        conn = http.client.HTTPConnection('127.0.0.1', self.server.port,
                                          timeout=SAFETY)
        self.addCleanup(conn.close)
        for _ in range(3):
            conn.request('GET', '/metrics')
            answer = conn.getresponse()
            self.assertIn(b'process_', answer.read())
        self.assertEqual('keep-alive', answer.getheader('Connection'))

    def test_garbage_is_a_400_and_the_connection_ends(self):
        sock = self.idle_socket()
        sock.sendall(b'nonsense\r\n\r\n')
        answer = sock.recv(4096)
        self.assertTrue(answer.startswith(b'HTTP/1.1 400'), answer)
        while answer:
            answer = sock.recv(4096)      # the server closes it

    def test_a_huge_request_head_ends_the_connection(self):
        sock = self.idle_socket()
        sock.sendall(b'GET /metrics HTTP/1.1\r\nX: '
                     + b'a' * (2 * serving.MAX_REQUEST_HEAD))
        self.assertEqual(b'', sock.recv(4096))

    def test_an_address_in_use_is_an_oserror_at_once(self):
        self.assertRaises(OSError, serving.MetricsServer, self.page,
                          '127.0.0.1', self.server.port)


class TestIdleClients(ServingTestCase):
    """Clients that connect and send nothing never hold the endpoint."""

    def test_half_open_clients_do_not_delay_a_scrape(self):
        for _ in range(300):
            self.idle_socket()
        answer, body = self.get()
        self.assertEqual(200, answer.status)
        self.assertIn(b'process_', body)

    def test_past_the_limit_the_oldest_idle_client_is_dropped(self):
        server = self.serve(max_connections=3)
        oldest = self.idle_socket(server)
        self.idle_socket(server)
        self.idle_socket(server)
        answer, _body = self.get(server=server)
        self.assertEqual(200, answer.status)
        self.assertEqual(b'', oldest.recv(1))

    def test_stop_closes_idle_clients(self):
        server = self.serve()
        sock = self.idle_socket(server)
        server.stop()
        self.assertEqual(b'', sock.recv(1))


class TestNegotiation(ServingTestCase):
    """Text 0.0.4 by default, OpenMetrics when asked for."""

    def test_text_0_0_4_by_default(self):
        for accept in (None, 'text/plain', '*/*',
                       'text/plain;version=1.0.0;q=0.9'):
            answer, body = self.get(headers={'Accept': accept} if accept
                                    else None)
            self.assertEqual('text/plain; version=0.0.4; charset=utf-8',
                             answer.getheader('Content-Type'), accept)
            self.assertNotIn(b'# EOF', body)

    def test_openmetrics_when_asked(self):
        self.publish(test_metrics.STUCK)
        # What Prometheus sends by default.
        accept = ('application/openmetrics-text;version=1.0.0;q=0.5,'
                  'application/openmetrics-text;version=0.0.1;q=0.4,'
                  'text/plain;version=0.0.4;q=0.3,*/*;q=0.2')
        for encoding in ('identity', 'gzip'):
            answer, body = self.get(headers={'Accept': accept,
                                             'Accept-Encoding': encoding})
            self.assertEqual(serving.OPENMETRICS_TYPE,
                             answer.getheader('Content-Type'))
            self.assertTrue(answer.getheader('Content-Type').startswith(
                'application/openmetrics-text; version='))
            if encoding == 'gzip':
                body = gzip.decompress(body)
            text = body.decode('utf-8')
            # One EOF, at the very end, after the live metrics.
            self.assertEqual(1, text.count('# EOF'))
            self.assertTrue(text.endswith('# EOF\n'))
            families = {f.name: f for f in
                        om_parser.text_string_to_metric_families(text)}
            # The OpenMetrics names of the info and counter families.
            self.assertEqual('info', families['powervc_refcode'].type)
            self.assertEqual('counter',
                             families['process_cpu_seconds'].type)

    def test_q_0_refuses_openmetrics(self):
        answer, _body = self.get(headers={
            'Accept': 'application/openmetrics-text;q=0, text/plain'})
        self.assertEqual(serving.CONTENT_TYPE,
                         answer.getheader('Content-Type'))

    def test_both_formats_are_rendered_once_per_poll(self):
        self.publish(test_metrics.STUCK)
        renders = self.page.renders
        self.get(headers={'Accept': 'application/openmetrics-text'})
        self.get()
        self.assertEqual(renders, self.page.renders)


class SecuredCase(ServingTestCase):

    def setUp(self):
        super().setUp()
        self.certs = self.useFixture(tf.Certificates())

    def web(self, **document):
        return webconfig.load(self.certs.write_config(document))

    def users(self):
        return {tf.USER: tf.hash_password()}

    def get_tls(self, server, path='/metrics', headers=None,
                with_cert=False):
        conn = http.client.HTTPSConnection(
            '127.0.0.1', server.port, timeout=SAFETY,
            context=self.certs.client_context(with_cert))
        self.addCleanup(conn.close)
        conn.request('GET', path, headers=headers or {})
        answer = conn.getresponse()
        return answer, answer.read()


class TestBasicAuth(SecuredCase):

    def setUp(self):
        super().setUp()
        self.secured = self.serve(web=self.web(basic_auth_users=self.users()),
                                  fleet=fleet_view.FleetView(self.board))

    def test_every_path_and_method_asks_for_credentials(self):
        for path in ('/metrics', '/', '/nothing', '/api/fleet',
                     '/static/fleet.js', '/api/history?server=x'):
            for headers in ({}, {'Authorization': tf.basic(password='no')},
                            {'Authorization': tf.basic('root')}):
                answer, body = self.get(path, headers, self.secured)
                self.assertEqual(401, answer.status, (path, headers))
                self.assertTrue(answer.getheader(
                    'WWW-Authenticate').startswith('Basic realm='))
                self.assertNotIn(b'powervc_', body)
        conn = http.client.HTTPConnection('127.0.0.1', self.secured.port,
                                          timeout=SAFETY)
        self.addCleanup(conn.close)
        conn.request('HEAD', '/metrics')
        self.assertEqual(401, conn.getresponse().status)

    def test_the_right_password_is_served(self):
        self.publish(test_metrics.STUCK)
        answer, body = self.get(headers={'Authorization': tf.basic()},
                                server=self.secured)
        self.assertEqual(200, answer.status)
        self.assertIn(b'refcode="B2008105"', body)
        self.assertEqual(404, self.get('/nothing', {
            'Authorization': tf.basic()}, self.secured)[0].status)

    def test_bcrypt_runs_off_the_event_loop_thread(self):
        threads = []
        check = self.secured.web.auth.check

        def recorded(header):
            threads.append(threading.current_thread().name)
            return check(header)

        self.secured.web.auth.check = recorded
        self.assertEqual(200, self.get(headers={
            'Authorization': tf.basic()}, server=self.secured)[0].status)
        self.assertEqual(1, len(threads))
        self.assertTrue(threads[0].startswith('metrics-auth'), threads)
        # Remembered: the next scrape does not queue for a bcrypt thread.
        self.assertEqual(200, self.get(headers={
            'Authorization': tf.basic()}, server=self.secured)[0].status)
        self.assertEqual(1, len(threads))

    def test_a_401_keeps_the_connection_for_the_retry(self):
        conn = http.client.HTTPConnection('127.0.0.1', self.secured.port,
                                          timeout=SAFETY)
        self.addCleanup(conn.close)
        conn.request('GET', '/metrics')
        conn.getresponse().read()
        conn.request('GET', '/metrics',
                     headers={'Authorization': tf.basic()})
        self.assertEqual(200, conn.getresponse().status)

    def test_an_open_server_asks_nothing(self):
        self.assertEqual(200, self.get()[0].status)


class TestTLS(SecuredCase):

    def test_https_is_served_and_plain_http_gets_no_answer(self):
        server = self.serve(web=self.web(
            tls_server_config=self.certs.tls_section()))
        self.assertEqual('https', server.scheme)
        answer, body = self.get_tls(server)
        self.assertEqual(200, answer.status)
        self.assertIn(b'process_', body)
        sock = self.idle_socket(server)
        sock.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
        received = b''
        chunk = sock.recv(4096)
        while chunk:
            received += chunk
            chunk = sock.recv(4096)
        self.assertNotIn(b'HTTP/', received)
        self.assertNotIn(b'process_', received)

    def test_mutual_tls_refuses_a_client_without_a_certificate(self):
        server = self.serve(web=self.web(tls_server_config=(
            self.certs.tls_section(
                client_ca_file=self.certs.ca_file,
                client_auth_type='RequireAndVerifyClientCert'))))
        self.assertEqual(200, self.get_tls(server, with_cert=True)[0].status)
        self.assertRaises((ssl.SSLError, ConnectionError), self.get_tls,
                          server)

    def test_reload_serves_new_connections_with_the_new_config(self):
        server = self.serve(web=self.web(
            tls_server_config=self.certs.tls_section()))
        kept = http.client.HTTPSConnection(
            '127.0.0.1', server.port, timeout=SAFETY,
            context=self.certs.client_context())
        self.addCleanup(kept.close)
        kept.request('GET', '/metrics')
        kept.getresponse().read()
        server.reload(self.web(tls_server_config=self.certs.tls_section(),
                               basic_auth_users=self.users()))
        self.assertEqual(401, self.get_tls(server)[0].status)
        self.assertEqual(200, self.get_tls(server, headers={
            'Authorization': tf.basic()})[0].status)
        # Back to plain HTTP, open.
        server.reload(None)
        self.assertEqual(200, self.get(server=server)[0].status)
        self.assertEqual('http', server.scheme)


class FleetPageCase(ServingTestCase):

    def setUp(self):
        super().setUp()
        self.view = fleet_view.FleetView(self.board, self.changes)
        self.page.also.append(self.view.render)
        self.served = self.serve(fleet=self.view)


class TestFleetPage(FleetPageCase):

    def test_the_page_and_its_files_with_their_headers(self):
        for path, ctype in (('/', 'text/html; charset=utf-8'),
                            ('/static/fleet.js',
                             'text/javascript; charset=utf-8'),
                            ('/static/fleet.css', 'text/css; charset=utf-8'),
                            ('/api/fleet', fleet_view.JSON_TYPE)):
            answer, body = self.get(path, server=self.served)
            self.assertEqual((200, ctype),
                             (answer.status, answer.getheader('Content-Type')))
            self.assertEqual('nosniff',
                             answer.getheader('X-Content-Type-Options'))
            self.assertTrue(answer.getheader('Date').endswith(' GMT'))
            policy = answer.getheader('Content-Security-Policy')
            self.assertIn("script-src 'self';", policy)
            self.assertIn("style-src 'self';", policy)
            self.assertIn("default-src 'none'", policy)
            self.assertNotIn('unsafe', policy)
        self.assertIn(b'static/fleet.js', self.get('/', server=self.served)[1])

    def test_the_json_is_the_last_rendered_poll(self):
        hostile = (9, '<img src=x onerror=alert(1)>',
                   base.metadata('A9002000', 'Attention'))
        self.publish(test_metrics.BOOTING, test_metrics.STUCK, hostile)
        answer, body = self.get('/api/fleet', server=self.served)
        doc = json.loads(body)
        self.assertEqual(
            [('ibmi-stuck-1', 'error'), (hostile[1], 'attention'),
             ('ibmi-prod-2', 'progress')],
            [(s['name'], s['category']) for s in doc['servers']])
        self.assertEqual(['prod'], [c['name'] for c in doc['clouds']])
        answer, body = self.get('/api/fleet', {'Accept-Encoding': 'gzip'},
                                self.served)
        self.assertEqual('gzip', answer.getheader('Content-Encoding'))
        self.assertEqual(doc['servers'],
                         json.loads(gzip.decompress(body))['servers'])

    def test_no_history_without_a_store(self):
        answer, body = self.get('/api/history?server=x', server=self.served)
        self.assertEqual(404, answer.status)
        self.assertIn(b'--history', body)

    def test_without_a_fleet_view_the_landing_page(self):
        self.assertIn(b'/metrics', self.get('/')[1])
        self.assertEqual(404, self.get('/api/fleet')[0].status)


class TestFleetHistory(ServingTestCase):

    def setUp(self):
        super().setUp()
        self.store = history.HistoryStore(
            os.path.join(self.useFixture(fixtures.TempDir()).path, 'h.db'),
            clock=self.wall)
        self.changes = changes.HistoryChanges(self.store, None)
        self.addCleanup(self.changes.close)
        self.view = fleet_view.FleetView(self.board, self.changes,
                                         clock=self.wall)
        self.served = self.serve(fleet=self.view)

    def test_a_servers_changes_read_off_the_event_loop(self):
        threads = []
        recent = self.changes.recent

        def recorded(*args):
            threads.append(threading.current_thread().name)
            return recent(*args)

        self.changes.recent = recorded
        poller = self.poller()
        self.fleet([test_metrics.BOOTING])
        self.poll(poller)
        self.wall.now += 300
        self.fleet([(2, 'ibmi-prod-2', base.metadata('B2008105'))])
        self.poll(poller)
        self.wall.now += 60
        answer, body = self.get('/api/history?server=%s' % base.server_id(2),
                                server=self.served)
        self.assertEqual(200, answer.status, body)
        doc = json.loads(body)
        self.assertEqual([('C6004031', 300.0), ('B2008105', 60.0)],
                         [(c['refcode'], c['seconds'])
                          for c in doc['changes']])
        self.assertEqual(1, len(threads))
        self.assertTrue(threads[0].startswith('metrics-history'), threads)
        answer, zipped = self.get(
            '/api/history?server=%s' % base.server_id(2),
            {'Accept-Encoding': 'gzip'}, self.served)
        self.assertEqual('gzip', answer.getheader('Content-Encoding'))
        self.assertEqual(doc, json.loads(gzip.decompress(zipped)))

    def test_one_clouds_server_when_two_clouds_share_its_id(self):
        sid = base.server_id(2)
        for cloud, code in (('prod', 'C6004031'), ('dr', 'B2008105')):
            self.store.record(cloud, [model.Refcode.from_metadata(
                sid, 'ibmi-prod-2', base.metadata(code))],
                lambda rc: 'progress')
        both = json.loads(self.get('/api/history?server=%s' % sid,
                                   server=self.served)[1])
        self.assertEqual({'dr', 'prod'},
                         {c['cloud'] for c in both['changes']})
        answer, body = self.get('/api/history?server=%s&cloud=dr' % sid,
                                server=self.served)
        self.assertEqual(200, answer.status, body)
        doc = json.loads(body)
        self.assertEqual(('dr', [('dr', 'B2008105')]), (doc['cloud'], [
            (c['cloud'], c['refcode']) for c in doc['changes']]))
        self.assertEqual([], json.loads(self.get(
            '/api/history?server=%s&cloud=other' % sid,
            server=self.served)[1])['changes'])

    def test_one_cloud_name_if_any(self):
        for query in ('&cloud=', '&cloud=a&cloud=b'):
            answer, body = self.get('/api/history?server=x' + query,
                                    server=self.served)
            self.assertEqual(400, answer.status, query)
            self.assertEqual(b'Give one cloud name: &cloud=NAME\n', body)

    def test_one_server_id_is_asked_for(self):
        for query in ('', '?server=', '?server=a&server=b', '?server=..',
                      '?server=a%2Fb'):
            answer, body = self.get('/api/history' + query,
                                    server=self.served)
            self.assertEqual(400, answer.status, query)
            self.assertEqual(b'Give one server ID: ?server=ID\n', body)

    def test_a_store_that_fails_is_a_503(self):
        def broken(*args):
            raise changes.StoreFailed('disk I/O error')

        self.changes.recent = broken
        answer, body = self.get('/api/history?server=x', server=self.served)
        self.assertEqual(503, answer.status)
        self.assertEqual(b'The history store cannot be read\n', body)
