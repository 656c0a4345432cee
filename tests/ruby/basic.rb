# A Rack application behind Rack::Auth::Basic, as Sinatra's and Rack's
# guides protect one: 401 with a Basic challenge without credentials or
# with a wrong password, and a bare 400 to an Authorization of any other
# scheme.
#
#   ruby basic.rb PORT PASSWORD
#
# Prints the port once listening; stops when its standard input closes.
require 'json'
require 'rack'
require 'webrick'
require_relative 'serve'
require 'sinatra/base'

port, password = ARGV

class Orders < Sinatra::Base
  set :environment, :production
  set :logging, false
  use Rack::Auth::Basic, 'orders' do |user, pass|
    user == 'admin' && pass == settings.password
  end

  get '/api/orders' do
    content_type :json
    { orders: [] }.to_json
  end
end

Orders.set :password, password

serve(Orders, port)
