# What the test servers of tests/ruby share: a Rack application served by
# WEBrick on loopback, quietly; the port printed once listening; stopped
# when standard input closes.
require 'rack'
require 'webrick'

def serve(app, port)
  server = WEBrick::HTTPServer.new(BindAddress: '127.0.0.1', Port: Integer(port),
                                   Logger: WEBrick::Log.new(File::NULL), AccessLog: [])
  server.mount '/', Rack::Handler::WEBrick, app
  Thread.new do
    $stdin.read
    server.shutdown
  end
  puts port
  $stdout.flush
  server.start
end
