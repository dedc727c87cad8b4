; runner: the built-in mario-rl game. An original side-scrolling platformer in miniature for
; NROM (16 KiB PRG, 8 KiB CHR, vertical mirroring): run right, jump pits and walkers, reach
; the flag. docs/builtin-game.md describes the design and the RAM map.
;
; Frame structure: the NMI copies OAM by DMA, writes the pending column of tiles into the
; nametable and sets the scroll; then it returns into main_loop, which reads the pad, runs one
; game update, prepares the next OAM page and (at most) one 16 px column, and idles.

  .ines 1, 1, 0, 1              ; 1 x 16 KiB PRG, 1 x 8 KiB CHR, mapper 0 (NROM), vertical mirroring

  .include "ram.asm"

  .segment "PRG", $C000, $4000

; ============================================================================================
; Power on
; ============================================================================================
reset:
  sei
  cld
  ldx #$40
  stx APUFRAME                  ; no APU frame IRQ
  ldx #$FF
  txs
  inx
  stx PPUCTRL                   ; NMI off
  stx PPUMASK                   ; rendering off
  stx DMCFREQ
  bit PPUSTATUS
@vblank1:
  bit PPUSTATUS
  bpl @vblank1
  lda #0                        ; clear all RAM so every emulator starts from the same state
  tax
@clear:
  sta $00,x
  sta $0100,x
  sta $0300,x
  sta $0400,x
  sta $0500,x
  sta $0600,x
  sta $0700,x
  inx
  bne @clear
  lda #$FF
@clear_oam:
  sta OAM,x
  inx
  bne @clear_oam
@vblank2:
  bit PPUSTATUS
  bpl @vblank2
  jsr load_palette
  jsr title_init
  jmp idle_entry

; One game update per frame. The NMI sends the CPU here when it finds it idling; the idle loop is
; one instruction, so the interrupted address (and the stack) is the same on every emulator.
main_loop:
  jsr read_pad
  lda mode
  cmp #MODE_PLAY
  beq @play
  cmp #MODE_TITLE
  beq @title
  jsr over_update
  jmp idle_entry
@title:
  jsr title_update
  jmp idle_entry
@play:
  jsr play_update

; Before idling, write onto the stack exactly what the NMI will push there (return address,
; status, then A X Y), so the stack page reads the same whether a frame ends just before or
; just after the NMI is taken (emulators place that boundary a few cycles apart).
IDLE_P = %00100100              ; status while idle: I set, bit 5 set, N Z C V D clear
idle_entry:
  ldx #$FF
  txs
  ldy #0
  clc
  clv
  lda #>idle
  sta $01FF
  lda #<idle
  sta $01FE
  lda #IDLE_P
  sta $01FD
  sta $01FC
  stx $01FB
  sty $01FA
idle:
  jmp idle

; ============================================================================================
; Interrupts
; ============================================================================================
nmi:
  pha
  txa
  pha
  tya
  pha
  lda ppu_mask
  beq @no_render
  lda #0
  sta OAMADDR
  lda #>OAM
  sta OAMDMA
  lda col_pending
  beq @no_column
  jsr write_column
  lda #0
  sta col_pending
@no_column:
  bit PPUSTATUS                 ; reset the address latch before the scroll writes
  lda cam_lo
  sta PPUSCROLL
  lda #0
  sta PPUSCROLL
  lda cam_hi
  and #1                        ; 512 px of nametables: the camera's 256s bit picks the left one
  ora ppu_ctrl
  sta PPUCTRL
@no_render:
  lda ppu_mask
  sta PPUMASK
  inc frame
  tsx                           ; interrupted at idle? then return to main_loop for the next update
  lda $0105,x                   ; stack: Y X A P PCL PCH above SP
  cmp #<idle
  bne @return
  lda $0106,x
  cmp #>idle
  bne @return                   ; a lag frame: let the update finish first
  lda #<main_loop
  sta $0105,x
  lda #>main_loop
  sta $0106,x
@return:
  pla
  tay
  pla
  tax
  pla
irq:
  rti

; ============================================================================================
; PPU helpers (called with NMI off, or from the NMI)
; ============================================================================================
ppu_off:
  lda #0
  sta ppu_ctrl
  sta PPUCTRL
  sta ppu_mask
  sta PPUMASK
  rts

; NMI back on; the next NMI turns rendering on, so no frame shows half-drawn nametables.
ppu_on:
  lda #%00011110                ; background + sprites, left column shown
  sta ppu_mask
  lda #%10000000                ; NMI on, 8x8 sprites, both tables at $0000, increment 1
  sta ppu_ctrl
  sta PPUCTRL
  rts

load_palette:
  bit PPUSTATUS
  lda #$3F
  sta PPUADDR
  lda #$00
  sta PPUADDR
  ldx #0
@copy:
  lda palettes,x
  sta PPUDATA
  inx
  cpx #32
  bne @copy
  rts

clear_nametables:
  bit PPUSTATUS
  lda #$20
  sta PPUADDR
  lda #$00
  sta PPUADDR
  ldy #8                        ; $2000-$27FF: both nametables with their attribute tables
  tax
@page:
  sta PPUDATA
  inx
  bne @page
  dey
  bne @page
  rts

; Writes COLBUF_L / COLBUF_R as two 30-tile columns at col_addr (increment-32 mode).
write_column:
  lda ppu_ctrl
  ora #%00000100
  sta PPUCTRL
  lda col_addr_hi
  sta PPUADDR
  lda col_addr_lo
  sta PPUADDR
  ldx #0
@left:
  lda COLBUF_L,x
  sta PPUDATA
  inx
  cpx #30
  bne @left
  lda col_addr_hi
  sta PPUADDR
  ldx col_addr_lo
  inx
  stx PPUADDR
  ldx #0
@right:
  lda COLBUF_R,x
  sta PPUDATA
  inx
  cpx #30
  bne @right
  lda ppu_ctrl
  sta PPUCTRL
  rts

; Writes the strings of the list at ptr: PPU address (hi, lo), length, bytes ...; 0 ends it.
draw_texts:
  ldy #0
@string:
  lda (ptr),y
  beq @done
  sta PPUADDR
  iny
  lda (ptr),y
  sta PPUADDR
  iny
  lda (ptr),y
  tax
  iny
@char:
  lda (ptr),y
  sta PPUDATA
  iny
  dex
  bne @char
  jmp @string
@done:
  rts

hide_sprites:
  lda #$FF
  ldx #0
@loop:
  sta OAM,x
  inx
  inx
  inx
  inx
  bne @loop
  rts

; ============================================================================================
; Input
; ============================================================================================
read_pad:
  lda pad
  sta pad_prev
  lda #1
  sta JOYPAD1
  lda #0
  sta JOYPAD1
  ldx #8
@bit:
  lda JOYPAD1
  lsr a
  rol pad
  dex
  bne @bit
  lda pad_prev
  eor #$FF
  and pad
  sta pad_new
  rts

; ============================================================================================
; Title screen and game over
; ============================================================================================
title_init:
  jsr ppu_off
  jsr clear_nametables
  lda #<title_texts
  sta ptr
  lda #>title_texts
  sta ptr+1
  jsr draw_texts
  lda #>TITLE_STAGE_DIGIT
  sta PPUADDR
  lda #<TITLE_STAGE_DIGIT
  sta PPUADDR
  lda stage
  clc
  adc #'1'
  sta PPUDATA
  lda #0
  sta cam_lo
  sta cam_hi
  lda #MODE_TITLE
  sta mode
  jsr hide_sprites
  jsr ppu_on
  rts

title_update:
  lda pad_new
  and #BTN_START
  beq @wait
  lda #3
  sta lives
  lda stage
  cmp #3
  bcc @stage_ok
  lda #0
  sta stage
@stage_ok:
  jsr stage_load
  lda #MODE_PLAY
  sta mode
@wait:
  rts

over_update:
  dec mode_timer
  bne @wait
  jsr title_init
@wait:
  rts

; ============================================================================================
; Stage loading
; ============================================================================================
stage_load:
  jsr ppu_off
  lda stage
  asl a
  tax
  lda level_ptrs,x
  sta ptr
  lda level_ptrs+1,x
  sta ptr+1
  ldy #0
  ldx #0
@run:
  lda (ptr),y                   ; run length, 0 ends the stage
  beq @expanded
  sta t0
  iny
  lda (ptr),y                   ; column byte
  iny
@fill:
  sta LEVEL,x
  inx
  dec t0
  bne @fill
  jmp @run
@expanded:
  ldx stage
  lda flag_cols,x
  sta flag_col

  ldx #NUM_ENEMIES-1
  lda #ES_NONE
@clear_enemies:
  sta e_state,x
  dex
  bpl @clear_enemies
  lda stage
  asl a
  tax
  lda enemy_ptrs,x
  sta ptr
  lda enemy_ptrs+1,x
  sta ptr+1
  ldy #0
@enemy:
  lda (ptr),y                   ; spawn column, $FF ends the list
  cmp #$FF
  beq @enemies_done
  sta t0
  tax
  lda LEVEL,x
  and #$0F
  sta e_home,y
  eor #$FF                      ; y = (14 - height) * 16
  clc
  adc #15
  asl a
  asl a
  asl a
  asl a
  sta e_y,y
  lda t0
  asl a
  asl a
  asl a
  asl a
  sta e_xlo,y
  lda t0
  lsr a
  lsr a
  lsr a
  lsr a
  sta e_xhi,y
  lda #1
  sta e_dir,y
  lda #ES_WALK
  sta e_state,y
  iny
  cpy #NUM_ENEMIES
  bne @enemy
@enemies_done:

  lda #START_X
  sta px_lo
  lda #0
  sta px_hi
  sta px_frac
  sta py_frac
  sta vx
  sta vy
  sta facing
  sta cam_lo
  sta cam_hi
  sta stomps
  sta col_pending
  lda #PS_ALIVE
  sta pstate
  lda #1
  sta on_ground
  ldx #START_X / 16
  lda LEVEL,x
  and #$0F
  eor #$FF
  clc
  adc #15
  asl a
  asl a
  asl a
  asl a
  sta py
  lda #CLOCK_START
  sta clock
  lda #0
  sta clock+1
  sta clock+2
  lda #CLOCK_TICK
  sta clock_tick

  lda #0                        ; draw the first two screens directly
  sta next_col
@draw:
  lda next_col
  jsr build_column
  jsr write_column
  inc next_col
  lda next_col
  cmp #32
  bne @draw

  jsr hide_sprites
  jsr draw_sprites
  jsr ppu_on
  rts

; Fills COLBUF_L/R and col_addr with level column A.
build_column:
  sta t0
  tax
  lda LEVEL,x
  and #$0F
  sta t1
  lda #15
  sec
  sbc t1
  sta t1                        ; first ground row (15: a pit, no ground)
  lda LEVEL,x
  lsr a
  lsr a
  lsr a
  lsr a
  bne @has_block
  lda #$FF
@has_block:
  sta t2                        ; brick row, $FF for none
  lda t0                        ; nametable tile x = col * 2 mod 64
  asl a
  and #$3F
  cmp #$20
  and #$1F
  sta col_addr_lo
  lda #$20
  bcc @left_table
  lda #$24
@left_table:
  sta col_addr_hi

  ldx #0                        ; 16 px row
  ldy #0                        ; tile row
@row:
  cpx t1
  beq @grass
  bcs @dirt
  cpx t2
  beq @brick
  lda #T_SKY
  sta COLBUF_L,y
  sta COLBUF_R,y
  sta COLBUF_L+1,y
  sta COLBUF_R+1,y
  jmp @next
@grass:
  lda #T_GRASS
  sta COLBUF_L,y
  sta COLBUF_R,y
  lda #T_DIRT
  sta COLBUF_L+1,y
  sta COLBUF_R+1,y
  jmp @next
@dirt:
  lda #T_DIRT
  sta COLBUF_L,y
  sta COLBUF_R,y
  sta COLBUF_L+1,y
  sta COLBUF_R+1,y
  jmp @next
@brick:
  lda #T_BRICK
  sta COLBUF_L,y
  sta COLBUF_R,y
  sta COLBUF_L+1,y
  sta COLBUF_R+1,y
@next:
  iny
  iny
  inx
  cpx #15
  bne @row

  lda t0
  cmp flag_col
  bne @done
  lda #T_BALL
  sta COLBUF_L+5
  ldy #6
@pole:
  lda #T_POLE
  sta COLBUF_L,y
  iny
  tya
  lsr a
  cmp t1
  bcc @pole
  lda #T_FLAG
  sta COLBUF_R+6
  sta COLBUF_R+7
@done:
  rts

; Streams the next column once the camera comes within a screen of it.
stream_column:
  lda col_pending
  bne @done
  lda next_col
  cmp #LEVEL_COLS
  bcs @done
  lda cam_lo
  lsr a
  lsr a
  lsr a
  lsr a
  sta t0
  lda cam_hi
  asl a
  asl a
  asl a
  asl a
  ora t0
  clc
  adc #16
  cmp next_col
  bcc @done
  lda next_col
  jsr build_column
  inc next_col
  lda #1
  sta col_pending
@done:
  rts

; ============================================================================================
; Playing
; ============================================================================================
play_update:
  lda pstate
  beq @alive
  cmp #PS_DYING
  beq @dying
  cmp #PS_DEAD
  beq @dead
  dec ptimer                    ; cleared: pause, then the next stage
  bne @draw
  inc stage
  lda stage
  cmp #3
  bcc @next_stage
  lda #0
  sta stage
@next_stage:
  jsr stage_load
  rts
@alive:
  jsr player_control
  jsr move_x
  jsr update_camera
  jsr move_y
  jsr enemies_update
  jsr enemy_contacts
  jsr check_flag
  jsr clock_update
  jsr stream_column
  jmp @draw
@dying:
  jsr dying_update
  jmp @draw
@dead:
  dec ptimer
  bne @draw
  dec lives
  beq @game_over
  jsr stage_load
  rts
@game_over:
  lda #MODE_OVER
  sta mode
  lda #OVER_FRAMES
  sta mode_timer
  rts
@draw:
  jsr draw_sprites
  rts

; Horizontal speed toward a target set by LEFT/RIGHT (B raises it), and the jump.
player_control:
  ldy #WALK_MAX
  lda pad
  and #BTN_B
  beq @walk
  ldy #RUN_MAX
@walk:
  sty t0
  lda pad
  and #BTN_LEFT | BTN_RIGHT
  cmp #BTN_RIGHT
  beq @right
  cmp #BTN_LEFT
  beq @left
  lda #0
  jmp @target
@right:
  lda #0
  sta facing
  lda t0
  jmp @target
@left:
  lda #1
  sta facing
  lda #0
  sec
  sbc t0
@target:
  eor #$80                      ; signed compare through a bias
  sta t1
  lda vx
  eor #$80
  cmp t1
  beq @jump
  bcc @faster
  lda vx
  sec
  sbc #ACCEL
  sta vx
  jmp @jump
@faster:
  lda vx
  clc
  adc #ACCEL
  sta vx
@jump:
  lda pad_new
  and #BTN_A
  beq @gravity
  lda on_ground
  beq @gravity
  lda #JUMP_VY
  sta vy
  lda #0
  sta on_ground
@gravity:
  lda vy
  bpl @heavy                    ; releasing A early ends the slow rise: variable jump height
  lda pad
  and #BTN_A
  beq @heavy
  lda #GRAV_HOLD
  bne @fall
@heavy:
  lda #GRAV
@fall:
  clc
  adc vy
  bmi @store
  cmp #MAX_FALL
  bcc @store
  lda #MAX_FALL
@store:
  sta vy
  rts

; A = signed velocity (1/16 px); t8 = fraction byte offset. Returns A = whole pixels to add,
; updating the fraction at 0,X (X = address of the fraction byte).
split_velocity:
  sta t6
  and #$0F
  clc
  adc $00,x
  sta $00,x
  lda t6
  cmp #$80
  ror a
  cmp #$80
  ror a
  cmp #$80
  ror a
  cmp #$80
  ror a
  ldy $00,x
  cpy #16
  bcc @whole
  pha
  lda $00,x
  sbc #16                       ; carry is set by cpy
  sta $00,x
  pla
  clc
  adc #1
@whole:
  rts

; t2/t3 = player x + A.
probe_x:
  clc
  adc px_lo
  sta t2
  lda px_hi
  adc #0
  sta t3
  rts

; A = level column of x in t2/t3.
column_index:
  lda t2
  lsr a
  lsr a
  lsr a
  lsr a
  sta t5
  lda t3
  asl a
  asl a
  asl a
  asl a
  ora t5
  rts

; Carry set if the level pixel at x = t2/t3, y = A (screen) is solid. Keeps t2/t3.
solid_at:
  cmp #240
  bcs @empty                    ; below the screen: pits are open
  lsr a
  lsr a
  lsr a
  lsr a
  sta t4
  lda t3
  cmp #>(LEVEL_COLS * 16)
  bcs @solid                    ; past the right end of the level
  jsr column_index
  tax
  lda LEVEL,x
  and #$0F
  beq @block
  clc                           ; ground fills rows 15 - height .. 14
  adc t4
  cmp #15
  bcs @solid
@block:
  lda LEVEL,x
  lsr a
  lsr a
  lsr a
  lsr a
  beq @empty
  cmp t4
  beq @solid
@empty:
  clc
  rts
@solid:
  sec
  rts

move_x:
  ldx #px_frac
  lda vx
  jsr split_velocity
  sta t0
  ldx #0
  lda t0
  bpl @positive
  dex
@positive:
  clc
  adc px_lo
  sta px_lo
  txa
  adc px_hi
  sta px_hi
  lda vx
  beq @done
  bmi @left
  lda #12                       ; right edge of the body
  jsr probe_x
  jsr side_blocked
  bcc @done
  lda t2
  and #$F0
  sec
  sbc #13
  sta px_lo
  lda t3
  sbc #0
  sta px_hi
  jmp @stop
@left:
  lda #3                        ; left edge of the body
  jsr probe_x
  jsr side_blocked
  bcc @done
  lda t2
  and #$F0
  clc
  adc #13
  sta px_lo
  lda t3
  adc #0
  sta px_hi
@stop:
  lda #0
  sta vx
  sta px_frac
@done:
  rts

; Carry set if x = t2/t3 is solid at the player's head or knees.
side_blocked:
  lda py
  clc
  adc #2
  jsr solid_at
  bcs @yes
  lda py
  clc
  adc #13
  jsr solid_at
@yes:
  rts

; Camera follows the player rightward only; the player cannot walk left off the screen.
update_camera:
  lda px_hi                     ; first keep the player at or right of the camera
  bmi @at_edge                  ; (negative x: stepped left of the level start)
  cmp cam_hi
  bcc @at_edge
  bne @follow
  lda px_lo
  cmp cam_lo
  bcs @follow
@at_edge:
  lda cam_lo
  sta px_lo
  lda cam_hi
  sta px_hi
  lda #0
  sta vx
  sta px_frac
@follow:
  lda px_lo
  sec
  sbc #CAM_LEAD
  sta t0
  lda px_hi
  sbc #0
  sta t1
  bcc @done                     ; still within the first CAM_LEAD pixels
  cmp cam_hi
  bcc @done
  bne @advance
  lda t0
  cmp cam_lo
  bcc @done
  beq @done
@advance:
  lda t1
  cmp #>CAM_MAX
  bcc @set
  lda #<CAM_MAX
  sta t0
  lda #>CAM_MAX
  sta t1
@set:
  lda t0
  sta cam_lo
  lda t1
  sta cam_hi
@done:
  rts

move_y:
  ldx #py_frac
  lda vy
  jsr split_velocity
  clc
  adc py
  sta py
  cmp #PIT_Y
  bcc @in_bounds
  lda #1                        ; fell into a pit
  jmp kill_player
@in_bounds:
  lda vy
  bmi @rising
  lda #3                        ; feet
  jsr probe_x
  lda py
  clc
  adc #16
  jsr solid_at
  bcs @land
  lda #12
  jsr probe_x
  lda py
  clc
  adc #16
  jsr solid_at
  bcs @land
  lda #0
  sta on_ground
  rts
@land:
  lda py
  clc
  adc #16
  and #$F0
  sec
  sbc #16
  sta py
  lda #0
  sta vy
  sta py_frac
  lda #1
  sta on_ground
  rts
@rising:
  lda #0
  sta on_ground
  lda #3                        ; head
  jsr probe_x
  lda py
  jsr solid_at
  bcs @bump
  lda #12
  jsr probe_x
  lda py
  jsr solid_at
  bcc @done
@bump:
  lda py
  and #$F0
  clc
  adc #16
  sta py
  lda #0
  sta vy
  sta py_frac
@done:
  rts

; A = 1 for a fall into a pit (no hop), 0 for a hit (hop, then fall).
kill_player:
  sta t0
  lda #PS_DYING
  sta pstate
  lda #DYING_FRAMES
  sta ptimer
  lda #0
  sta vx
  sta vy
  lda t0
  bne @done
  lda #DEATH_HOP_VY
  sta vy
@done:
  rts

dying_update:
  dec ptimer
  bne @fall
  lda #PS_DEAD
  sta pstate
  lda #DEAD_FRAMES
  sta ptimer
  rts
@fall:
  lda py
  cmp #240
  bcs @done
  lda vy
  clc
  adc #3
  bmi @store
  cmp #MAX_FALL
  bcc @store
  lda #MAX_FALL
@store:
  sta vy
  cmp #$80
  ror a
  cmp #$80
  ror a
  cmp #$80
  ror a
  cmp #$80
  ror a
  clc
  adc py
  cmp #240
  bcc @keep
  lda #240
@keep:
  sta py
@done:
  rts

; The flag: reached when the middle of the player passes the pole's column.
check_flag:
  lda pstate
  bne @done
  lda #8
  jsr probe_x
  jsr column_index
  cmp flag_col
  bcc @done
  lda #PS_CLEARED
  sta pstate
  lda #CLEAR_FRAMES
  sta ptimer
  lda #0
  sta vx
  sta vy
@done:
  rts

clock_update:
  lda pstate
  bne @done
  dec clock_tick
  bne @done
  lda #CLOCK_TICK
  sta clock_tick
  ldx #2
@digit:
  dec clock,x
  bpl @check
  lda #9
  sta clock,x
  dex
  bpl @digit
@check:
  lda clock
  ora clock+1
  ora clock+2
  bne @done
  lda #0                        ; time up
  jsr kill_player
@done:
  rts

; ============================================================================================
; Enemies: walkers patrol their stretch of ground, turning at walls and pit edges
; ============================================================================================
enemies_update:
  ldx #NUM_ENEMIES-1
@loop:
  lda e_state,x
  cmp #ES_WALK
  beq @walking
  cmp #ES_SQUASHED
  bne @to_next
  dec e_timer,x
  bne @to_next
  lda #ES_GONE
  sta e_state,x
@to_next:
  jmp @next
@walking:
  lda e_xlo,x                   ; t0 / A = enemy x - camera x
  sec
  sbc cam_lo
  sta t0
  lda e_xhi,x
  sbc cam_hi
  bmi @left_of_camera
  beq @active
  cmp #1
  bne @next                     ; more than a screen ahead: wait
  lda t0
  cmp #16
  bcs @next
  jmp @active
@left_of_camera:
  cmp #$FF
  bne @gone
  lda t0
  cmp #$F0
  bcs @active
@gone:
  lda #ES_GONE
  sta e_state,x
  jmp @next
@active:
  lda frame
  and #1
  bne @next                     ; half a pixel per frame
  lda e_dir,x
  bne @lead_left
  lda e_xlo,x
  clc
  adc #16
  sta t2
  lda e_xhi,x
  adc #0
  sta t3
  jmp @probe
@lead_left:
  lda e_xlo,x
  sec
  sbc #1
  sta t2
  lda e_xhi,x
  sbc #0
  sta t3
  bcc @turn
@probe:
  lda t3
  cmp #>(LEVEL_COLS * 16)
  bcs @turn
  jsr column_index
  tay
  lda LEVEL,y
  and #$0F
  cmp e_home,x
  bne @turn
  lda e_dir,x
  bne @step_left
  inc e_xlo,x
  bne @next
  inc e_xhi,x
  jmp @next
@step_left:
  lda e_xlo,x
  bne @no_borrow
  dec e_xhi,x
@no_borrow:
  dec e_xlo,x
  jmp @next
@turn:
  lda e_dir,x
  eor #1
  sta e_dir,x
@next:
  dex
  bmi @done
  jmp @loop
@done:
  rts

; Landing on a walker from above squashes it; any other touch kills the player.
enemy_contacts:
  ldx #NUM_ENEMIES-1
@loop:
  lda pstate
  bne @done
  lda e_state,x
  cmp #ES_WALK
  bne @next
  lda px_lo
  sec
  sbc e_xlo,x
  sta t0
  lda px_hi
  sbc e_xhi,x
  beq @right_of
  cmp #$FF
  bne @next
  lda t0
  cmp #256-11
  bcc @next
  jmp @overlap_x
@right_of:
  lda t0
  cmp #12
  bcs @next
@overlap_x:
  lda py
  sec
  sbc e_y,x
  bcs @level_or_below
  cmp #256-13
  bcc @next
  lda vy                        ; above it: a stomp only while falling
  beq @hurt
  bmi @hurt
  lda #ES_SQUASHED
  sta e_state,x
  lda #30
  sta e_timer,x
  lda #STOMP_VY
  sta vy
  inc stomps
  jmp @next
@level_or_below:
  cmp #14
  bcs @next
@hurt:
  lda #0
  jmp kill_player
@next:
  dex
  bpl @loop
@done:
  rts

; ============================================================================================
; Sprites: HUD (lives, clock), player, walkers
; ============================================================================================
HUD_Y = 15
OAM_PLAYER = 5 * 4
OAM_ENEMIES = 9 * 4

draw_sprites:
  lda #$FF
  ldx #OAM_PLAYER
@hide:
  sta OAM,x
  inx
  inx
  inx
  inx
  bne @hide

  lda #2                        ; HUD palette
  sta t3
  lda #HUD_Y
  sta t1
  ldx #0
  lda #16
  sta t0
  lda #T_HEART
  jsr put_sprite
  lda #26
  sta t0
  lda lives
  clc
  adc #T_DIGIT0
  jsr put_sprite
  ldy #0
@clock:
  tya
  asl a
  asl a
  asl a
  adc #216
  sta t0
  lda clock,y
  clc
  adc #T_DIGIT0
  jsr put_sprite
  iny
  cpy #3
  bne @clock

  lda py                        ; player
  cmp #240
  bcs @enemies
  sec
  sbc #1
  sta t1
  lda px_lo
  sec
  sbc cam_lo
  sta t0
  lda #0
  ldy facing
  beq @face
  lda #$40
@face:
  sta t3
  lda #T_PLAYER
  sta t6
  lda #T_PLAYER + 2
  ldy on_ground
  beq @stride
  ldy vx
  beq @feet
  ldy frame
  tya
  and #8
  beq @legs
@stride:
  lda #T_PLAYER + 4
  jmp @feet
@legs:
  lda #T_PLAYER + 2
@feet:
  sta t7
  ldx #OAM_PLAYER
  jsr put_meta

@enemies:
  lda #0
  sta t8
  ldx #OAM_ENEMIES
@enemy:
  ldy t8
  lda e_state,y
  cmp #ES_WALK
  beq @visible
  cmp #ES_SQUASHED
  bne @skip
@visible:
  lda e_xlo,y
  sec
  sbc cam_lo
  sta t0
  lda e_xhi,y
  sbc cam_hi
  bne @skip
  lda t0
  cmp #241
  bcs @skip
  lda e_y,y
  sec
  sbc #1
  sta t1
  lda #1
  sta t3
  lda e_state,y
  cmp #ES_SQUASHED
  beq @flat
  lda #T_ENEMY
  sta t6
  lda frame
  and #16
  lsr a
  lsr a
  lsr a                         ; 0 or 2
  clc
  adc #T_ENEMY + 2
  sta t7
  jsr put_meta
  jmp @advance
@flat:
  lda t1
  clc
  adc #8
  sta t1
  lda #T_ENEMY_FLAT
  jsr put_sprite
  lda t0
  clc
  adc #8
  sta t0
  lda #T_ENEMY_FLAT + 1
  jsr put_sprite
  txa
  clc
  adc #8
  tax
  jmp @advance
@skip:
  txa
  clc
  adc #16
  tax
@advance:
  inc t8
  lda t8
  cmp #NUM_ENEMIES
  bne @enemy
  rts

; One sprite: A = tile, t0 = x, t1 = y - 1, t3 = attributes, X = OAM offset (advanced by 4).
put_sprite:
  sta OAM+1,x
  lda t1
  sta OAM,x
  lda t3
  sta OAM+2,x
  lda t0
  sta OAM+3,x
  inx
  inx
  inx
  inx
  rts

; A 16x16 sprite: t6 = top tile pair, t7 = bottom tile pair, mirrored when t3 has $40.
; Leaves t0 / t1 moved; X advanced by 16.
put_meta:
  lda t3
  and #$40
  beq @unflipped
  lda #1
@unflipped:
  sta t4                        ; 0, or 1 when mirrored (left column shows the right tile)
  lda t6
  clc
  adc t4
  jsr put_sprite
  lda t0
  clc
  adc #8
  sta t0
  lda t4
  eor #1
  clc
  adc t6
  jsr put_sprite
  lda t1
  clc
  adc #8
  sta t1
  lda t4
  eor #1
  clc
  adc t7
  jsr put_sprite
  lda t0
  sec
  sbc #8
  sta t0
  lda t7
  clc
  adc t4
  jsr put_sprite
  rts

; ============================================================================================
; Data
; ============================================================================================
palettes:
  .byte $21, $1A, $17, $0F,  $21, $1A, $17, $0F,  $21, $1A, $17, $0F,  $21, $1A, $17, $0F
  .byte $21, $16, $36, $0F,  $21, $07, $27, $0F,  $21, $30, $16, $30,  $21, $16, $36, $0F

TITLE_STAGE_DIGIT = $2000 + 20 * 32 + 18
title_texts:
  .byte $21, $0D, 6, "RUNNER"
  .byte $22, $0A, 11, "PRESS START"
  .byte $22, $8C, 5, "STAGE"
  .byte 0

  .include "levels.asm"

  .org $FFFA
  .word nmi, reset, irq

  .include "tiles.asm"
