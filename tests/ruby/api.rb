# A Ruby resource server as the ruby-jwt tutorials build one (Sinatra here,
# the same `authorize_request` Rails API guides write): the token is the
# last word of Authorization (`header.split(' ').last`, whatever the
# scheme), decoded by ruby-jwt against the issuer's key set (its README's
# loader: fetched on first use, fetched again when a kid is unknown), the
# issuer and audience checked, and any JWT::DecodeError answered 401 with
# its message as `{"errors": …}`.
#
#   ruby api.rb PORT ISSUER JWKS_URI AUDIENCE
#
# Prints the port once listening; stops when its standard input closes.
require 'json'
require 'net/http'
require 'jwt'
require 'sinatra/base'
require 'webrick'
require_relative 'serve'

port, issuer, jwks_uri, audience = ARGV

JWKS_LOADER = lambda do |options|
  @jwks = nil if options[:invalidate]
  @jwks ||= JSON.parse(Net::HTTP.get(URI(jwks_uri)))
end

class Api < Sinatra::Base
  set :environment, :production
  set :logging, false
  set :show_exceptions, false

  get '/api/orders' do
    content_type :json
    header = request.env['HTTP_AUTHORIZATION']
    header = header.split(' ').last if header
    begin
      payload, = JWT.decode(header, nil, true,
                            algorithms: ['RS256'], jwks: JWKS_LOADER,
                            iss: settings.issuer, verify_iss: true,
                            aud: settings.audience, verify_aud: true)
      { sub: payload['sub'] }.to_json
    rescue JWT::DecodeError => e
      halt 401, { errors: e.message }.to_json
    end
  end
end

Api.set :issuer, issuer
Api.set :audience, audience

serve(Api, port)
